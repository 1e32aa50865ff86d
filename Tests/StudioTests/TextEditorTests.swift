import XCTest
@testable import Studio

final class TextEditorTests: XCTestCase {
    func testWidthsOfWideAndCombiningGraphemes() {
        XCTAssertEqual(DisplayWidth.of("a"), 1)
        XCTAssertEqual(DisplayWidth.of("猫"), 2)
        XCTAssertEqual(DisplayWidth.of("🐈"), 2)
        XCTAssertEqual(DisplayWidth.of("👩‍💻"), 2)          // ZWJ sequence: one grapheme
        XCTAssertEqual(DisplayWidth.of("é"), 1)          // e + combining acute
        XCTAssertEqual(DisplayWidth.of("ｱ"), 1)                // halfwidth katakana
        XCTAssertEqual(DisplayWidth.of("｡"), 1)
        XCTAssertEqual(DisplayWidth.of("ＡＢ"), 4)             // fullwidth Latin
        XCTAssertEqual(DisplayWidth.of("\u{301}" as Character), 0)
    }

    func testGraphemesMoveAndDeleteAsOneUnit() {
        var e = TextEditor("猫👩‍💻x")
        XCTAssertEqual(e.characters.count, 3)
        e.moveLeft()
        e.deleteBackward()
        XCTAssertEqual(e.text, "猫x")
        // Code points typed one at a time join into one grapheme.
        var f = TextEditor("e")
        f.insert("\u{301}")
        XCTAssertEqual(f.characters.count, 1)
        XCTAssertEqual(f.text, "e\u{301}")
    }

    func testWordMotionsAndDeletes() {
        var e = TextEditor("a yellow square, moving up")
        e.moveWordLeft()
        XCTAssertEqual(e.cursor, "a yellow square, moving ".count)
        e.moveWordLeft()
        e.moveWordLeft()
        XCTAssertEqual(e.cursor, "a yellow ".count)
        e.moveWordRight()
        XCTAssertEqual(e.cursor, "a yellow square".count)
        e.moveToEnd()
        e.deleteWordBackward()
        XCTAssertEqual(e.text, "a yellow square, moving ")
        e.deleteWordBackward()
        XCTAssertEqual(e.text, "a yellow square, ")
        e.moveToLineStart()
        e.deleteToLineEnd()
        XCTAssertEqual(e.text, "")
    }

    func testUndoGroupsTypingAndRestoresDeletes() {
        var e = TextEditor()
        for c in "cat" { e.insert(String(c)) }
        e.insert(" ")
        for c in "猫" { e.insert(String(c)) }
        XCTAssertEqual(e.text, "cat 猫")
        e.undo()
        XCTAssertEqual(e.text, "cat ")
        e.undo()
        XCTAssertEqual(e.text, "cat")
        e.deleteWordBackward()
        XCTAssertEqual(e.text, "")
        e.undo()
        XCTAssertEqual(e.text, "cat")
        e.undo()
        XCTAssertEqual(e.text, "")
        XCTAssertFalse(e.canUndo)
    }

    func testPasteNormalisesLineEndsAndTabs() {
        var e = TextEditor()
        e.insert("line one\r\nline two\rthree\tend")
        XCTAssertEqual(e.lines, ["line one", "line two", "three    end"])
        e.undo()
        XCTAssertEqual(e.text, "", "a paste undoes as one step")
    }

    func testUpDownKeepDisplayColumnAcrossWideCharacters() {
        var e = TextEditor("猫猫猫\nabcdef")
        XCTAssertEqual(e.cursorPosition.line, 1)
        e.moveToLineStart()
        e.moveRight(); e.moveRight(); e.moveRight(); e.moveRight()  // column 4
        XCTAssertTrue(e.moveUp())
        XCTAssertEqual(e.cursorPosition.column, 4, "two wide characters are four columns")
        XCTAssertFalse(e.moveUp())
        XCTAssertTrue(e.moveDown())
        XCTAssertEqual(e.cursorPosition.line, 1)
        XCTAssertEqual(e.cursorPosition.column, 4)
    }

    func testSoftWrapNeverSplitsAWideCharacter() {
        let e = TextEditor("ab猫猫")
        let w = e.wrapped(width: 5)
        XCTAssertEqual(w.rows, ["ab猫", "猫"])
        XCTAssertEqual(w.cursorRow, 1)
        XCTAssertEqual(w.cursorColumn, 2)
    }

    func testCellGridWideCharactersTakeTwoColumns() {
        var g = CellGrid(width: 6, height: 1)
        XCTAssertEqual(g.put("猫a🐈", row: 0, column: 0), 5)
        XCTAssertEqual(g[0, 1].text, "", "continuation cell")
        XCTAssertEqual(g.text(ofRow: 0), "猫a🐈 ")
        // A wide character that would cross the edge is not drawn.
        XCTAssertEqual(g.put("猫", row: 0, column: 5), 0)
        // Overwriting half of a wide character blanks the other half.
        g.put("x", row: 0, column: 1)
        XCTAssertEqual(g.text(ofRow: 0), " xa🐈 ")
    }
}
