import XCTest
@testable import WeightsIO

final class WeightsIOSmokeTests: XCTestCase {
    func testModuleLinks() { XCTAssertNotNil(WeightsIOModule.self) }
}
