import XCTest
import Foundation
import Engine
import TensorCore
@testable import Studio

final class ThemeTests: XCTestCase {
    /// The repository's themes/ folder.
    var themesFolder: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("themes")
    }

    func testEmbeddedThemesEqualTheFiles() throws {
        XCTAssertEqual(BuiltinThemes.all.map(\.name), ["dark", "light", "high-contrast", "monochrome"])
        for theme in BuiltinThemes.all {
            let file = try String(contentsOf: themesFolder.appendingPathComponent("\(theme.name).theme"), encoding: .utf8)
            XCTAssertEqual(theme.text, file, "themes/\(theme.name).theme changed: copy it into BuiltinThemes.swift")
        }
    }

    func testBuiltInThemesParse() throws {
        let catalog = ThemeCatalog(userFolder: nil)
        XCTAssertEqual(catalog.names, ["dark", "light", "high-contrast", "monochrome"])
        let dark = catalog.theme(named: "dark").0
        XCTAssertEqual(dark.entries[.title]?.attributes, .bold)
        XCTAssertEqual(dark.entries[.text]?.foreground, .rgb(0xd0, 0xd0, 0xd8))
        // Monochrome works without colours: every style resolves to default colours.
        let mono = catalog.theme(named: "monochrome").0
        for role in ThemeRole.allCases {
            let s = mono.style(role, colours: .palette256)
            XCTAssertEqual(s.foreground, .default)
            XCTAssertEqual(s.background, .default)
        }
        XCTAssertEqual(mono.style(.selection, colours: .none).attributes, .reverse)
    }

    func testBadLineNamesFileAndLine() {
        XCTAssertThrowsError(try ThemeParser.parse("text.fg = #ffffff\n\nborder.fg = #12345\n", name: "t", file: "t.theme")) { error in
            let e = error as? ThemeError
            XCTAssertEqual(e?.line, 3)
            XCTAssertTrue("\(error)".hasPrefix("t.theme line 3: `#12345` is not a colour"), "\(error)")
        }
        XCTAssertThrowsError(try ThemeParser.parse("glow.fg = 3", name: "t", file: "t.theme")) { error in
            XCTAssertTrue("\(error)".contains("unknown role `glow`"), "\(error)")
        }
        XCTAssertThrowsError(try ThemeParser.parse("text.attrs = blink", name: "t", file: "t.theme"))
    }

    func testUserFolderBadFileFallsBackWithMessage() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("zoetrope-theme-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "text.fg = #ff0000\n".write(to: folder.appendingPathComponent("red.theme"), atomically: true, encoding: .utf8)
        try "text.fg = #ff0000\ntext.fg red\n".write(to: folder.appendingPathComponent("broken.theme"), atomically: true, encoding: .utf8)
        let catalog = ThemeCatalog(userFolder: folder)
        XCTAssertTrue(catalog.names.contains("red"))
        XCTAssertFalse(catalog.names.contains("broken"))
        XCTAssertEqual(catalog.warnings.count, 1)
        XCTAssertTrue(catalog.warnings[0].contains("broken.theme line 2"), catalog.warnings[0])
        XCTAssertTrue(catalog.warnings[0].contains("using the dark theme"))
        let (theme, warning) = catalog.theme(named: "broken")
        XCTAssertEqual(theme.name, "dark")
        XCTAssertNotNil(warning)
    }
}

final class EtaTests: XCTestCase {
    let t0 = Date(timeIntervalSince1970: 0)

    func testHiddenForTwoStepsThenEwmaPlusDecode() {
        var eta = EtaEstimator(decodeSeconds: 4)
        eta.start(at: t0)
        eta.stepFinished(1, of: 10, at: t0 + 2)
        XCTAssertNil(eta.remaining(at: t0 + 2))
        eta.stepFinished(2, of: 10, at: t0 + 4)
        XCTAssertNil(eta.remaining(at: t0 + 4))
        eta.stepFinished(3, of: 10, at: t0 + 6)
        // 2 s/step × 7 steps + 4 s decode; the tolerance covers floating-point rounding only.
        XCTAssertEqual(eta.remaining(at: t0 + 6) ?? -1, 18, accuracy: 1e-9)
    }

    func testNeverGrowsWhileWaitingAndStopsAtZero() {
        var eta = EtaEstimator()
        eta.start(at: t0)
        for i in 1...3 { eta.stepFinished(i, of: 5, at: t0 + Double(i)) }
        let a = eta.remaining(at: t0 + 3)!
        let b = eta.remaining(at: t0 + 4)!
        let c = eta.remaining(at: t0 + 100)!
        XCTAssertEqual(a, 2, accuracy: 1e-9)
        XCTAssertLessThan(b, a)
        XCTAssertEqual(c, 0)
    }

    func testEwmaWeighsRecentSteps() {
        var eta = EtaEstimator()
        eta.start(at: t0)
        eta.stepFinished(1, of: 100, at: t0 + 1)
        eta.stepFinished(2, of: 100, at: t0 + 2)
        eta.stepFinished(3, of: 100, at: t0 + 5)  // a slow step: 3 s
        // 0.3 × 3 + 0.7 × 1 = 1.6 s/step.
        XCTAssertEqual(eta.secondsPerStep ?? 0, 1.6, accuracy: 1e-9)
    }
}

final class SettingsTests: XCTestCase {
    /// Settings checked against the tiny random WanPipeline's rules, as the engine describes
    /// them (frames 4k + 1, sides multiples of 16).
    func fixtureSettings() throws -> ComposeSettings {
        ComposeSettings(capabilities: try StudioHarness.fixtureCapabilities())
    }

    func testValidationAndSuggestions() throws {
        var s = try fixtureSettings()
        s.texts[.frames] = "18"
        XCTAssertEqual(s.check(.frames), .invalid(message: "frames must be 4k+1 (1, 5, 9, 13 …), at most 1025", suggestion: "17"))
        s.texts[.frames] = "20"
        XCTAssertEqual(s.check(.frames), .invalid(message: "frames must be 4k+1 (1, 5, 9, 13 …), at most 1025", suggestion: "21"))
        s.texts[.size] = "70x50"
        if case .invalid(_, let suggestion) = s.check(.size) { XCTAssertEqual(suggestion, "64x48") } else { XCTFail() }
        s.texts[.steps] = "0"
        XCTAssertFalse(s.check(.steps).isValid)
        XCTAssertNil(s.request(prompt: "p", negativePrompt: ""))
        s.acceptSuggestion(.frames); s.acceptSuggestion(.size); s.acceptSuggestion(.steps)
        let r = s.request(prompt: "p", negativePrompt: "")
        XCTAssertEqual(r?.frames, 21)
        XCTAssertEqual(r?.width, 64)
        XCTAssertEqual(r?.height, 48)
        XCTAssertEqual(r?.steps, 1)
        XCTAssertNil(r?.seed)
    }

    /// Stepping a field that holds the largest whole number (typed or pasted) stays within the
    /// model's limits instead of overflowing (it trapped for Steps and FPS).
    func testAdjustingHugeValuesStaysInRange() throws {
        var s = try fixtureSettings()
        let huge = String(Int.max)
        for field in s.fields where field != .model && field != .sampler && field != .seed {
            for direction in [1, -1] {
                s.texts[field] = field == .size ? "\(huge)x\(huge)" : huge
                s.adjust(field, by: direction)
                XCTAssertTrue(s.check(field).isValid, "\(field) \(direction): \(s.text(field))")
            }
        }
        XCTAssertEqual(s.text(.frames), "1021", "the highest 4k+1 below 1025, one step down")
    }

    /// The Precision field: fp32 by default; bf16 valid only where the machine can run it, and
    /// otherwise refused as typed with the reason and fp32 offered; stepping offers only what
    /// runs here; the request and a remix carry it.
    func testPrecisionFieldOffersWhatThisMachineRuns() throws {
        var s = try fixtureSettings()
        XCTAssertEqual(s.text(.precision), "fp32")
        XCTAssertTrue(s.check(.precision).isValid)
        s.texts[.precision] = "fp16"
        XCTAssertEqual(s.check(.precision), .invalid(message: "precision is fp32, bf16", suggestion: "fp32"))
        s.texts[.precision] = "BF16"
        let bf16Runs = ComputePrecision.bfloat16.unavailableReason == nil
        if bf16Runs {
            XCTAssertTrue(s.check(.precision).isValid)
            XCTAssertEqual(s.request(prompt: "p", negativePrompt: "")?.precision, .bfloat16)
        } else {
            guard case .invalid(let message, let suggestion) = s.check(.precision) else {
                return XCTFail("bf16 accepted on a machine that cannot run it")
            }
            XCTAssertTrue(message.contains("--precision fp32"), message)
            XCTAssertEqual(suggestion, "fp32")
            XCTAssertNil(s.request(prompt: "p", negativePrompt: ""))
        }
        s.texts[.precision] = "fp32"
        s.adjust(.precision, by: 1)
        XCTAssertEqual(s.text(.precision), bf16Runs ? "bf16" : "fp32")
        var remixed = JobRequest(prompt: "p")
        remixed.precision = .bfloat16
        s.load(remixed)
        XCTAssertEqual(s.text(.precision), "bf16")
    }

    func testAdjustStepsByNaturalUnits() throws {
        var s = try fixtureSettings()
        s.adjust(.frames, by: 1)
        XCTAssertEqual(s.text(.frames), "21")
        s.adjust(.size, by: -1)
        XCTAssertEqual(s.text(.size), "48x48")
        s.adjust(.sampler, by: 1)
        XCTAssertNotEqual(s.sampler, SamplerNames.modelDefault)
        s.lastSeedUsed = 99
        s.toggleSeedLock()
        XCTAssertEqual(s.request(prompt: "p", negativePrompt: "")?.seed, 99)
        s.toggleSeedLock()
        XCTAssertNil(s.request(prompt: "p", negativePrompt: "")?.seed)
    }
}

/// Issue #19 item 7: a history row with `duration = 9e999` (+inf) crashed the studio's history.
final class DurationFormattingTests: XCTestCase {
    func testAnyDurationFormatsWithoutTrapping() {
        XCTAssertEqual(formatSeconds(.infinity), "? s")
        XCTAssertEqual(formatSeconds(-.infinity), "? s")
        XCTAssertEqual(formatSeconds(.nan), "? s")
        XCTAssertEqual(formatSeconds(-3), "? s")
        XCTAssertEqual(formatSeconds(1e300), "> 100000 h")
        XCTAssertEqual(formatSeconds(3.25), "3.2 s")
        XCTAssertEqual(formatSeconds(7260), "2 h 01 min")
    }
}

/// Issue #20 item 7: the contact sheet (`c`) was one column of 4×4-cell thumbnails.
final class ContactSheetGridTests: XCTestCase {
    func testSeventeenFramesFillThePaneAsAGrid() {
        // The preview pane of a 120×40 studio: about 70 × 33 cells for 17 frames of 64×64.
        let grid = PreviewPane.contactSheetGrid(count: 17, imageWidth: 64, imageHeight: 64,
                                                in: Rect(row: 0, column: 0, width: 70, height: 33))
        XCTAssertGreaterThan(grid.columns, 1)
        let rows = (17 + grid.columns - 1) / grid.columns
        XCTAssertLessThanOrEqual(rows * grid.tileHeight, 33)
        XCTAssertLessThanOrEqual(grid.columns * (grid.tileWidth + 1), 71)
        // Each tile shows its frame at least 10 cells wide (a square 64² frame is 2 pixel rows
        // per cell, so 10 columns × 5 rows).
        let fitted = CellPictureRenderer.fittedSize(imageWidth: 64, imageHeight: 64,
                                                    in: Rect(row: 0, column: 0, width: grid.tileWidth, height: grid.tileHeight))
        XCTAssertGreaterThanOrEqual(fitted.columns, 10, "\(grid)")
        // One frame takes the whole pane.
        XCTAssertEqual(PreviewPane.contactSheetGrid(count: 1, imageWidth: 64, imageHeight: 64,
                                                    in: Rect(row: 0, column: 0, width: 70, height: 33)).columns, 1)
    }
}
