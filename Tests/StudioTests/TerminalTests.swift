import XCTest
@testable import Studio

final class TerminalTests: XCTestCase {
    func testEnvironmentDetection() {
        XCTAssertEqual(TerminalCapabilities.fromEnvironment(["TERM": "xterm-kitty"]).bestTier, .kitty)
        XCTAssertEqual(TerminalCapabilities.fromEnvironment(["TERM": "xterm-256color", "COLORTERM": "truecolor"]).bestTier,
                       .halfBlockTruecolor)
        XCTAssertEqual(TerminalCapabilities.fromEnvironment(["TERM": "xterm-256color"]).bestTier, .halfBlock256)
        XCTAssertEqual(TerminalCapabilities.fromEnvironment(["TERM": "xterm"]).bestTier, .colouredASCII)
        XCTAssertEqual(TerminalCapabilities.fromEnvironment(["TERM": "dumb"]).bestTier, .plainASCII)
        // Under tmux, kitty falls back to half-blocks.
        XCTAssertEqual(TerminalCapabilities.fromEnvironment(["TERM": "xterm-kitty", "TMUX": "/tmp/x"]).bestTier,
                       .halfBlockTruecolor)
    }

    /// Issue #20 item 1: xterm does not answer CSI 16t by default; the kernel's window size
    /// (964×684 px for 120×40 cells) gives its 8×17-pixel cells.
    func testCellSizeFromTheWindowSizeInPixels() {
        let cells = TerminalCapabilities.cellPixels(columns: 120, rows: 40, widthPixels: 964, heightPixels: 684)
        XCTAssertEqual(cells?.width, 8)
        XCTAssertEqual(cells?.height, 17)
        XCTAssertNil(TerminalCapabilities.cellPixels(columns: 120, rows: 40, widthPixels: 0, heightPixels: 0),
                     "a terminal that leaves the pixel fields 0 says nothing")
        XCTAssertNil(TerminalCapabilities.cellPixels(columns: 0, rows: 0, widthPixels: 964, heightPixels: 684))
    }

    func testQueryReplies() {
        var c = TerminalCapabilities.fromEnvironment(["TERM": "xterm-256color"])
        let reply = Array("\u{1B}P>|XTerm(390)\u{1B}\\\u{1B}[6;20;10t\u{1B}[?62;4;22c".utf8)
        XCTAssertTrue(TerminalCapabilities.replyIsComplete(reply))
        XCTAssertFalse(TerminalCapabilities.replyIsComplete(Array("\u{1B}[6;20;10t".utf8)))
        c.absorb(reply: reply)
        XCTAssertTrue(c.sixel)
        XCTAssertEqual(c.terminalName, "XTerm(390)")
        XCTAssertEqual(c.cellPixels?.width, 10)
        XCTAssertEqual(c.cellPixels?.height, 20)
        XCTAssertEqual(c.bestTier, .sixel)
        var k = TerminalCapabilities()
        k.absorb(reply: Array("\u{1B}_Gi=31;OK\u{1B}\\\u{1B}[?62;22c".utf8))
        XCTAssertTrue(k.kitty)
        XCTAssertFalse(k.sixel)
    }

    func testOverridesFlagThenEnvironmentThenConfig() {
        let detected = TerminalCapabilities.fromEnvironment(["TERM": "xterm-kitty"])
        XCTAssertEqual(chooseGraphicsTier(flag: "ascii", environment: ["ZOETROPE_GRAPHICS": "sixel"], config: "256",
                                          detected: detected).tier, .plainASCII)
        XCTAssertEqual(chooseGraphicsTier(flag: nil, environment: ["ZOETROPE_GRAPHICS": "sixel"], config: "256",
                                          detected: detected).tier, .sixel)
        XCTAssertEqual(chooseGraphicsTier(flag: nil, environment: [:], config: "256", detected: detected).tier, .halfBlock256)
        XCTAssertEqual(chooseGraphicsTier(flag: "auto", environment: [:], config: nil, detected: detected).tier, .kitty)
        let bad = chooseGraphicsTier(flag: "hologram", environment: [:], config: nil, detected: detected)
        XCTAssertEqual(bad.tier, .kitty)
        XCTAssertTrue(bad.warning?.contains("--graphics = hologram") == true)
    }

    /// Issue #20: a forced pixel tier the terminal cannot show drew a blank pane and said
    /// nothing. It is still used (a terminal's answer can be wrong), but said out loud when the
    /// terminal answered without it or a multiplexer sits between.
    func testAForcedTierTheTerminalDidNotAnnounceIsReported() throws {
        var xterm = TerminalCapabilities.fromEnvironment(["TERM": "xterm-256color"])
        xterm.absorb(reply: Array("\u{1B}[?1;2c".utf8))  // a VT100 answer: no sixel
        let sixel = chooseGraphicsTier(flag: "sixel", environment: [:], config: nil, detected: xterm)
        XCTAssertEqual(sixel.tier, .sixel)
        let warning = try XCTUnwrap(sixel.warning)
        XCTAssertTrue(warning.contains("--graphics = sixel") && warning.contains("did not announce sixel")
                      && warning.contains("--graphics 256"), warning)
        let kitty = chooseGraphicsTier(flag: nil, environment: ["ZOETROPE_GRAPHICS": "kitty"], config: nil, detected: xterm)
        XCTAssertTrue(kitty.warning?.contains("did not announce kitty graphics") == true, "\(kitty)")

        // Announced: nothing to say. No answer at all: nothing known, nothing said.
        var vt340 = xterm
        vt340.absorb(reply: Array("\u{1B}[?63;1;2;4;6c".utf8))
        XCTAssertNil(chooseGraphicsTier(flag: "sixel", environment: [:], config: nil, detected: vt340).warning)
        let silent = TerminalCapabilities.fromEnvironment(["TERM": "xterm-256color"])
        XCTAssertNil(chooseGraphicsTier(flag: "sixel", environment: [:], config: nil, detected: silent).warning)

        // Inside tmux even an announced sixel may not get through.
        var tmux = TerminalCapabilities.fromEnvironment(["TERM": "tmux-256color", "TMUX": "/tmp/tmux-0/default,1,0"])
        tmux.absorb(reply: Array("\u{1B}[?63;1;2;4;6c".utf8))
        let inTmux = chooseGraphicsTier(flag: "sixel", environment: [:], config: nil, detected: tmux)
        XCTAssertEqual(inTmux.tier, .sixel)
        XCTAssertTrue(inTmux.warning?.contains("inside tmux or screen") == true, "\(inTmux)")
        XCTAssertNil(chooseGraphicsTier(flag: "truecolor", environment: [:], config: nil, detected: tmux).warning)
    }

    /// Found by the tmux test: `--graphics truecolor` drew 256 colours unless COLORTERM said
    /// truecolor, which tmux does not pass on.
    func testTruecolorTierWritesTruecolorWithoutColorterm() {
        let plain = TerminalCapabilities.fromEnvironment(["TERM": "xterm-256color"])
        XCTAssertFalse(plain.truecolor)
        XCTAssertTrue(Studio.writesTruecolor(tier: .halfBlockTruecolor, detected: plain), "--graphics truecolor")
        XCTAssertTrue(Studio.writesTruecolor(tier: .kitty, detected: plain))
        XCTAssertFalse(Studio.writesTruecolor(tier: .halfBlock256, detected: plain))
        XCTAssertTrue(Studio.writesTruecolor(tier: .halfBlock256, detected: TerminalCapabilities.fromEnvironment(["COLORTERM": "truecolor"])))
    }

    func testKeyDecoder() {
        var d = KeyDecoder()
        func feed(_ s: String) -> [Key] { s.unicodeScalars.flatMap { d.feed(.character($0.value)) } }
        XCTAssertEqual(feed("a猫"), [.character("a"), .character("猫")])
        XCTAssertEqual(feed("\u{17}\u{1A}\u{1F}\r\n\t\u{7F}"),
                       [.control("w"), .control("z"), .control("_"), .enter, .control("j"), .tab, .backspace])
        XCTAssertEqual(feed("\u{1B}b"), [.alt("b")])
        XCTAssertEqual(feed("\u{1B}\u{7F}"), [.altBackspace])
        XCTAssertEqual(feed("\u{1B}[1;5D"), [.wordLeft])
        XCTAssertEqual(feed("\u{1B}"), [])
        XCTAssertEqual(d.feed(.timeout), [.escape])
        XCTAssertEqual(feed("\u{1B}[200~line 1\rline 2\u{1B}[201~x"), [.paste("line 1\rline 2"), .character("x")])
        XCTAssertEqual(d.feed(.keyCode(KeyDecoder.Code.left)), [.left])
        XCTAssertEqual(d.feed(.keyCode(KeyDecoder.Code.f0 + 1)), [.function(1)])
        var e = KeyDecoder(extraCodes: [560: .wordRight])
        XCTAssertEqual(e.feed(.keyCode(560)), [.wordRight])
    }

    func testConfigParsing() {
        let c = StudioConfig.parse("# studio\ntheme = \"light\"\ngraphics = 256\ncolour = red\n[other]\ntheme = x\n", file: "config.toml")
        XCTAssertEqual(c.theme, "light")
        XCTAssertEqual(c.graphics, "256")
        XCTAssertEqual(c.warnings, ["config.toml line 4: unknown key `colour` (theme, graphics)"])
    }
}
