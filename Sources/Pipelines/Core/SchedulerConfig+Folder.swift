// A pipeline folder's scheduler config, read as a regular file only (see WeightsIO.RegularFile).
import Foundation
import Schedulers
import WeightsIO
import RegularFiles

extension DiffusersModelFolder {
    /// `scheduler/scheduler_config.json`, decoded. A FIFO or device in its place is refused
    /// instead of blocking the read forever.
    public func schedulerConfig() throws -> SchedulerConfig {
        let url = try schedulerConfigURL()
        let data: Data
        do {
            data = try RegularFile.contents(of: url)
        } catch let error as RegularFile.NotRegular {
            throw SchedulerConfigError.unreadable(file: url.path, reason: error.reason)
        }
        return try SchedulerConfig.decode(data, source: url.path)
    }
}
