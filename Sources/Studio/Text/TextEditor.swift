/// A multi-line text buffer with a cursor, word motions and undo, as a value type.
/// Text is kept as grapheme clusters (`Character`), so a CJK character or an emoji with
/// modifiers moves and deletes as one unit. Lines are separated by "\n".
public struct TextEditor: Equatable, Sendable {
    public private(set) var characters: [Character]
    /// Index into `characters` where the next insert goes.
    public private(set) var cursor: Int
    private var undoStack: [Snapshot] = []
    private var lastEdit: EditKind?

    private struct Snapshot: Equatable, Sendable {
        var characters: [Character]
        var cursor: Int
    }

    private enum EditKind: Equatable, Sendable { case typing, deleting, other }

    /// Undo keeps at most this many steps.
    static let undoLimit = 200

    public init(_ text: String = "") {
        characters = Array(TextEditor.normalised(text))
        cursor = characters.count
    }

    public var text: String { String(characters) }
    public var isEmpty: Bool { characters.isEmpty }

    /// Replaces the whole text (undoable), cursor at the end.
    public mutating func setText(_ text: String) {
        record(.other)
        characters = Array(TextEditor.normalised(text))
        cursor = characters.count
    }

    // MARK: Editing

    /// Inserts typed or pasted text at the cursor. CR/LF become "\n", tabs become spaces.
    public mutating func insert(_ text: String) {
        let chars = Array(TextEditor.normalised(text))
        guard !chars.isEmpty else { return }
        record(chars.count == 1 && chars[0] != " " ? .typing : .other)
        // Input may arrive one code point at a time: a combining mark, a joiner or a
        // variation selector joins the grapheme before the cursor.
        if cursor > 0 {
            let regrouped = Array(String(characters[cursor - 1]) + String(chars))
            if regrouped.count < chars.count + 1 {
                characters.replaceSubrange(cursor - 1..<cursor, with: regrouped)
                cursor += regrouped.count - 1
                return
            }
        }
        characters.insert(contentsOf: chars, at: cursor)
        cursor += chars.count
    }

    public mutating func deleteBackward() {
        guard cursor > 0 else { return }
        record(.deleting)
        characters.remove(at: cursor - 1)
        cursor -= 1
    }

    public mutating func deleteForward() {
        guard cursor < characters.count else { return }
        record(.deleting)
        characters.remove(at: cursor)
    }

    /// Deletes from the start of the word before the cursor to the cursor (Ctrl-W, Alt-Backspace).
    public mutating func deleteWordBackward() {
        let start = wordStart(before: cursor)
        guard start < cursor else { return }
        record(.other)
        characters.removeSubrange(start..<cursor)
        cursor = start
    }

    /// Deletes from the cursor to the end of the line (Ctrl-K).
    public mutating func deleteToLineEnd() {
        let end = lineEnd(from: cursor)
        guard end > cursor else { deleteForward(); return }
        record(.other)
        characters.removeSubrange(cursor..<end)
    }

    /// Undoes the last edit; consecutive typed characters undo together.
    public mutating func undo() {
        guard let last = undoStack.popLast() else { return }
        characters = last.characters
        cursor = last.cursor
        lastEdit = nil
    }

    public var canUndo: Bool { !undoStack.isEmpty }

    private mutating func record(_ kind: EditKind) {
        defer { lastEdit = kind }
        if kind != .other, kind == lastEdit { return }  // coalesce runs of typing or deleting
        undoStack.append(Snapshot(characters: characters, cursor: cursor))
        if undoStack.count > TextEditor.undoLimit { undoStack.removeFirst() }
    }

    private mutating func breakUndoRun() { lastEdit = nil }

    // MARK: Motion

    public mutating func moveLeft() { breakUndoRun(); cursor = max(0, cursor - 1) }
    public mutating func moveRight() { breakUndoRun(); cursor = min(characters.count, cursor + 1) }
    public mutating func moveToLineStart() { breakUndoRun(); cursor = lineStart(from: cursor) }
    public mutating func moveToLineEnd() { breakUndoRun(); cursor = lineEnd(from: cursor) }
    public mutating func moveToStart() { breakUndoRun(); cursor = 0 }
    public mutating func moveToEnd() { breakUndoRun(); cursor = characters.count }
    public mutating func moveWordLeft() { breakUndoRun(); cursor = wordStart(before: cursor) }
    public mutating func moveWordRight() { breakUndoRun(); cursor = wordEnd(after: cursor) }

    /// Moves to the previous line, keeping the display column where possible.
    /// Returns false when already on the first line.
    @discardableResult
    public mutating func moveUp() -> Bool {
        let start = lineStart(from: cursor)
        guard start > 0 else { return false }
        breakUndoRun()
        let column = displayColumn(from: start, to: cursor)
        let previousStart = lineStart(from: start - 1)
        cursor = index(atColumn: column, lineStart: previousStart)
        return true
    }

    /// Moves to the next line, keeping the display column where possible.
    /// Returns false when already on the last line.
    @discardableResult
    public mutating func moveDown() -> Bool {
        let end = lineEnd(from: cursor)
        guard end < characters.count else { return false }
        breakUndoRun()
        let column = displayColumn(from: lineStart(from: cursor), to: cursor)
        cursor = index(atColumn: column, lineStart: end + 1)
        return true
    }

    // MARK: Geometry

    /// The logical lines of the text.
    public var lines: [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// The cursor's logical line and display column.
    public var cursorPosition: (line: Int, column: Int) {
        let line = characters[..<cursor].filter { $0 == "\n" }.count
        return (line, displayColumn(from: lineStart(from: cursor), to: cursor))
    }

    /// Soft-wraps the text to `width` columns: the rows to show, and the row and column of
    /// the cursor among them.
    public func wrapped(width: Int) -> (rows: [String], cursorRow: Int, cursorColumn: Int) {
        let width = max(2, width)
        var rows: [String] = [""]
        var rowWidth = 0
        var cursorRow = 0, cursorColumn = 0
        for (i, ch) in characters.enumerated() {
            if i == cursor { cursorRow = rows.count - 1; cursorColumn = rowWidth }
            if ch == "\n" {
                rows.append(""); rowWidth = 0
                continue
            }
            let w = DisplayWidth.of(ch)
            if rowWidth + w > width {
                rows.append(""); rowWidth = 0
                if i == cursor { cursorRow = rows.count - 1; cursorColumn = 0 }
            }
            rows[rows.count - 1].append(ch)
            rowWidth += w
        }
        if cursor == characters.count {
            if rowWidth >= width { rows.append(""); rowWidth = 0 }
            cursorRow = rows.count - 1; cursorColumn = rowWidth
        }
        return (rows, cursorRow, cursorColumn)
    }

    private func lineStart(from i: Int) -> Int {
        var j = i
        while j > 0, characters[j - 1] != "\n" { j -= 1 }
        return j
    }

    private func lineEnd(from i: Int) -> Int {
        var j = i
        while j < characters.count, characters[j] != "\n" { j += 1 }
        return j
    }

    private func displayColumn(from start: Int, to end: Int) -> Int {
        characters[start..<end].reduce(0) { $0 + DisplayWidth.of($1) }
    }

    private func index(atColumn column: Int, lineStart start: Int) -> Int {
        var j = start, used = 0
        while j < characters.count, characters[j] != "\n" {
            let w = DisplayWidth.of(characters[j])
            if used + w > column { break }
            used += w
            j += 1
        }
        return j
    }

    static func isWordCharacter(_ c: Character) -> Bool {
        c.isLetter || c.isNumber || c == "_" || c.unicodeScalars.first?.properties.isEmoji == true && !c.isASCII
    }

    private func wordStart(before i: Int) -> Int {
        var j = i
        while j > 0, !TextEditor.isWordCharacter(characters[j - 1]) { j -= 1 }
        while j > 0, TextEditor.isWordCharacter(characters[j - 1]) { j -= 1 }
        return j
    }

    private func wordEnd(after i: Int) -> Int {
        var j = i
        while j < characters.count, !TextEditor.isWordCharacter(characters[j]) { j += 1 }
        while j < characters.count, TextEditor.isWordCharacter(characters[j]) { j += 1 }
        return j
    }

    static func normalised(_ text: String) -> String {
        var out = ""
        for ch in text {
            switch ch {
            case "\r\n", "\r", "\n": out.append("\n")
            case "\t": out.append("    ")
            default:
                if let v = ch.unicodeScalars.first?.value, v < 0x20 || v == 0x7F { continue }
                out.append(ch)
            }
        }
        return out
    }
}
