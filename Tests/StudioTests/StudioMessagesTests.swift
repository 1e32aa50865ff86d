import XCTest
import Engine
@testable import Studio

/// Issue #20 item 10: only the first of several start-up warnings was shown, and error
/// messages were cut at the screen's edge. Now every warning is listed and a long message is
/// shown whole, wrapped, in a box that any key closes.
final class StudioMessagesTests: XCTestCase {
    func testWrapBreaksAtSpacesAndInsideOverlongWords() {
        XCTAssertEqual(DisplayWidth.wrap("the quick brown fox", width: 9), ["the quick", "brown fox"])
        XCTAssertEqual(DisplayWidth.wrap("/a/very/long/path/to/model", width: 10), ["/a/very/lo", "ng/path/to", "/model"])
        XCTAssertEqual(DisplayWidth.wrap("猫猫猫 ok", width: 4), ["猫猫", "猫", "ok"])
        XCTAssertEqual(DisplayWidth.wrap("two\nlines", width: 20), ["two", "lines"])
        XCTAssertEqual(DisplayWidth.wrap("", width: 5), [""])
        for line in DisplayWidth.wrap(String(repeating: "word ", count: 40), width: 17) {
            XCTAssertLessThanOrEqual(DisplayWidth.of(line), 17, line)
        }
    }

    func testEveryStartupWarningIsShownUntilAKey() {
        let warnings = ["History opened read-only: the data folder cannot be written.",
                        "The theme 'neon' is unknown; using dark.",
                        "ZOETROPE_GRAPHICS=sixel: this terminal did not say it shows sixel."]
        let screen = HeadlessScreen(columns: 100, rows: 30)
        var state = StudioState(columns: 100, rows: 30)
        StudioReducer.showStartupWarnings(&state, warnings)
        let core = StudioCore(state: state, screen: screen, themes: ThemeCatalog(userFolder: nil), colours: .palette256)
        core.render()
        for warning in warnings {
            XCTAssertNotNil(screen.text.range(of: String(warning.prefix(40))), "missing: \(warning)\n\(screen.text)")
        }
        XCTAssertNotNil(screen.text.range(of: "3 messages"), screen.text)
        core.send(.key(.character("a")))
        XCTAssertNil(core.state.overlay)
        XCTAssertEqual(core.state.compose.prompt.text, "", "the closing key is not typed into the prompt")

        // A single short warning stays on the status line, with no box.
        var one = StudioState(columns: 100, rows: 30)
        StudioReducer.showStartupWarnings(&one, [warnings[0]])
        XCTAssertNil(one.overlay)
        XCTAssertEqual(one.message?.text, warnings[0])
    }

    func testAnErrorLongerThanTheLineIsShownWhole() {
        let screen = HeadlessScreen(columns: 80, rows: 24)
        let core = StudioCore(state: StudioState(columns: 80, rows: 24), screen: screen,
                              themes: ThemeCatalog(userFolder: nil), colours: .palette256)
        let long = "reading the model's settings failed: /home/someone/models/wan-2.1-t2v-1.3b/transformer/config.json: "
            + "the key num_attention_heads is 0, and it must be a whole number from 1 to 1024"
        core.send(.effectFailed(long))
        core.render()
        XCTAssertEqual(core.state.overlay, .notes([long]))
        // The box is 76 columns wide at 80 (text 70): every wrapped row of the message is on screen.
        let rows = DisplayWidth.wrap(long, width: 70)
        XCTAssertGreaterThan(rows.count, 2)
        for row in rows { XCTAssertNotNil(screen.text.range(of: row), "missing row '\(row)':\n\(screen.text)") }
        // A short one does not open a box.
        core.send(.key(.escape))
        core.send(.effectFailed("exporting failed: disk full"))
        XCTAssertNil(core.state.overlay)
    }
}
