import XCTest
@testable import Studio
final class PlaceholderTests: XCTestCase { func testBuilds() { XCTAssertTrue(true) } }
