/// A key press (or a paste) after decoding the terminal's input.
public enum Key: Equatable, Sendable {
    /// A printable grapheme.
    case character(Character)
    /// Ctrl plus a letter (lowercase) or `_`.
    case control(Character)
    /// Alt (Meta) plus a printable character.
    case alt(Character)
    case enter, altEnter, tab, backTab, escape, backspace, altBackspace, delete
    case up, down, left, right, wordLeft, wordRight, home, end, pageUp, pageDown
    case function(Int)
    /// Text pasted in one go (bracketed paste).
    case paste(String)
}

/// A mouse action at a cell.
public struct MouseEvent: Equatable, Sendable {
    public enum Kind: Equatable, Sendable { case press, wheelUp, wheelDown }
    public var kind: Kind
    public var row: Int
    public var column: Int
    public init(_ kind: Kind, row: Int, column: Int) {
        self.kind = kind
        self.row = row
        self.column = column
    }
}
