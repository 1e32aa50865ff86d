// Issue #20 finding 10: on an 8-colour xterm with a white background the dark theme's titles
// vanished (#8ab4f8 became colour 7, white, on the terminal's white). With 8 or 16 colours
// every theme now paints its own base background, and every role reads on its background.
import Foundation
@testable import Studio
import XCTest

final class BasicColourContrastTests: XCTestCase {
    func testEveryRoleOfEveryThemeReadsWithEightAndSixteenColours() throws {
        let catalog = ThemeCatalog(userFolder: nil)
        XCTAssertEqual(Set(catalog.names).isSuperset(of: ["dark", "light", "high-contrast", "monochrome"]), true)
        for name in catalog.names {
            let theme = catalog.theme(named: name).0
            let base = BasicColours.base(of: theme)
            for count in [8, 16] {
                for role in ThemeRole.allCases {
                    let style = theme.style(role, colours: .palette256)
                    let (fg, bg) = BasicColours.pair(foreground: style.foreground, background: style.background,
                                                     base: base, count: count)
                    XCTAssertLessThan(max(fg, bg), count, "\(name) \(role) with \(count) colours")
                    let ratio = BasicColours.contrast(BasicColours.rgb[fg], BasicColours.rgb[bg])
                    XCTAssertGreaterThanOrEqual(ratio, BasicColours.minimumContrast,
                                                "\(name) \(role) with \(count) colours: \(fg) on \(bg)")
                }
            }
        }
    }

    func testTheDarkThemePaintsItsOwnBackgroundAndKeepsItsTitleBlue() throws {
        let catalog = ThemeCatalog(userFolder: nil)
        let dark = catalog.theme(named: "dark").0, light = catalog.theme(named: "light").0
        XCTAssertEqual(BasicColours.base(of: dark), 0, "black under the dark theme, whatever the terminal's is")
        XCTAssertEqual(BasicColours.base(of: light), 7)
        let title = dark.style(.title, colours: .palette256)
        let (fg, bg) = BasicColours.pair(foreground: title.foreground, background: title.background, base: 0, count: 16)
        XCTAssertEqual(bg, 0)
        XCTAssertNotEqual(fg, 7, "no longer the white that vanished on a white terminal")
        XCTAssertNotEqual(fg, 15)
        // A near-black border on the black base is lifted to a colour that reads.
        let border = dark.style(.border, colours: .palette256)
        let lifted = BasicColours.pair(foreground: border.foreground, background: border.background, base: 0, count: 8)
        XCTAssertNotEqual(lifted.0, 0)
    }
}
