// The error a tensor operation throws when its operands' shapes do not fit together.
//
// Shapes come from checkpoints and configs a user chose, so a mismatch is bad input, not a
// programming error: it is thrown (typed), names the operation, the shapes it was given and
// the shapes it accepts, and the caller decides (the engine reports it on the job; nothing
// crashes).

/// Operands of a tensor operation whose shapes are incompatible.
public struct TensorShapeError: Error, Equatable, CustomStringConvertible {
    /// The operation, as a user would recognise it ("a + b", "modulated(scale:)").
    public let operation: String
    /// The shapes it was given, in operand order.
    public let shapes: [[Int]]
    /// What would have been valid, in words.
    public let expected: String

    public init(operation: String, shapes: [[Int]], expected: String) {
        self.operation = operation
        self.shapes = shapes
        self.expected = expected
    }

    public var description: String {
        "\(operation): shapes \(shapes.map { "\($0)" }.joined(separator: " and ")) do not fit; expected \(expected)"
    }
}
