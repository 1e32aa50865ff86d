// What a request runs: a model plus the extra component folders it is loaded with, the way
// diffusers' `from_pretrained(model, NAME=component)` takes them. The engine keeps names and
// folders as text; what each name means is the model's (`ModelCapabilities.components`).

/// A model (a bundled id or a diffusers folder) and the component folders that go with it.
public struct ModelReference: Hashable, Sendable {
    public var model: String
    /// Extra components by name (a slot name → a folder), as the model's
    /// `ModelCapabilities.components` lists them.
    public var components: [String: String]

    public init(model: String, components: [String: String] = [:]) {
        self.model = model
        self.components = components
    }

    /// The key a loaded model is kept under: the model alone, or with its components
    /// (`model + name=/path, …`). Two requests share weights only when it is equal.
    public var key: String {
        guard !components.isEmpty else { return model }
        return model + " + " + components.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            .joined(separator: ", ")
    }
}
