import XCTest
@testable import Media

final class MediaSmokeTests: XCTestCase {
    func testModuleLinks() { XCTAssertNotNil(MediaModule.self) }
}
