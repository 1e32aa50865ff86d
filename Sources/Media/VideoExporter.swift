import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a finished video in every format the studio offers:
/// `frame_0000.png` … (each with the text chunks), `video.apng`, `video.gif`, and `video.mp4`
/// when an `ffmpeg` executable is available (raw RGB piped to it through Foundation `Process`).
/// Without ffmpeg the MP4 is skipped and `Result.mp4Note` says why; that is not an error.
/// Every file is written to a hidden temporary name and renamed into place.
public struct VideoExporter: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case pngFrames, apng, gif, mp4
    }

    /// What was written.
    public struct Result: Sendable, Equatable {
        /// `frame_0000.png` … in frame order (empty if `.pngFrames` was not asked for).
        public var frameFiles: [URL] = []
        public var apng: URL?
        public var gif: URL?
        public var mp4: URL?
        /// Why there is no MP4 although one was asked for (no ffmpeg, or ffmpeg failed, with
        /// its message); nil otherwise.
        public var mp4Note: String?
    }

    /// The ffmpeg executable to use; nil means MP4 export is skipped.
    public var ffmpeg: URL?

    /// Uses `ffmpeg` as given; by default the first `ffmpeg` on `PATH`.
    public init(ffmpeg: URL? = VideoExporter.findExecutable("ffmpeg")) {
        self.ffmpeg = ffmpeg
    }

    /// The first executable file called `name` in the colon-separated `searchPath`.
    public static func findExecutable(_ name: String,
                                      searchPath: String? = ProcessInfo.processInfo.environment["PATH"]) -> URL? {
        guard let searchPath else { return nil }
        for folder in searchPath.split(separator: ":") where !folder.isEmpty {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent(name)
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isFolder), !isFolder.boolValue,
               FileManager.default.isExecutableFile(atPath: candidate.path) {
                return candidate
            }
        }
        return nil
    }

    /// Writes `frames` at `fps` into `folder` (created if missing). `texts` go into every PNG
    /// and the APNG as text chunks and into the GIF as comments (`keyword: text`).
    public func export(frames: [RGBImage], fps: Double, to folder: URL, texts: [PNGText] = [],
                       formats: Set<Format> = Set(Format.allCases)) throws -> Result {
        guard let first = frames.first else { throw MediaError.noFrames(format: "video export") }
        guard fps.isFinite, fps > 0 else { throw MediaError.invalidFrameRate(fps) }
        for (index, frame) in frames.enumerated() where frame.width != first.width || frame.height != first.height {
            throw MediaError.frameSizeMismatch(index: index, expected: first.sizeDescription, got: frame.sizeDescription)
        }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw MediaError.unwritable(path: folder.path, reason: (error as NSError).localizedDescription)
        }

        // Everything is written into a hidden staging folder inside `folder` and renamed into
        // place only once every file is complete, so a process killed while writing (SIGKILL
        // cannot be caught) leaves no partial clip that looks like a result (issue #19), only
        // `.incomplete-<pid>-…`, which `removeAbandonedStaging` clears later.
        Self.removeAbandonedStaging(in: folder)
        let staging = folder.appendingPathComponent(".incomplete-\(getpid())-\(UUID().uuidString.prefix(8))")
        do {
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: false)
        } catch {
            throw MediaError.unwritable(path: staging.path, reason: (error as NSError).localizedDescription)
        }
        defer { try? FileManager.default.removeItem(at: staging) }
        let staged = try write(frames: frames, fps: fps, into: staging, texts: texts, formats: formats)
        // Every target is checked (never a device, FIFO or folder) before any file moves.
        let files = staged.frameFiles + [staged.apng, staged.gif, staged.mp4].compactMap { $0 }
        let targets = try files.map { try AtomicFile.target(folder.appendingPathComponent($0.lastPathComponent)) }
        for (file, target) in zip(files, targets) { try AtomicFile.moveIntoPlace(file, target) }
        func final(_ url: URL?) -> URL? { url.map { folder.appendingPathComponent($0.lastPathComponent) } }
        var result = staged
        result.frameFiles = staged.frameFiles.compactMap(final)
        (result.apng, result.gif, result.mp4) = (final(staged.apng), final(staged.gif), final(staged.mp4))
        return result
    }

    /// Removes the staging folders of exports whose process has ended (`.incomplete-<pid>-…`
    /// in `folder` with no such process): what a killed export left. Returns how many.
    @discardableResult
    public static func removeAbandonedStaging(in folder: URL) -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return 0 }
        var removed = 0
        for name in names where name.hasPrefix(".incomplete-") {
            let fields = name.dropFirst(".incomplete-".count).split(separator: "-")
            guard let field = fields.first, let pid = pid_t(field), pid > 0 else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH,
               (try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))) != nil {
                removed += 1
            }
        }
        return removed
    }

    /// In each folder under `parent` (run folders), removes abandoned staging, and the run
    /// folder itself when that leaves it empty: a run killed while its clip was written left
    /// it. Folders without abandoned staging are never touched. Returns the folders removed.
    @discardableResult
    public static func removeAbandonedExports(under parent: URL) -> [URL] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent.path) else { return [] }
        var removed: [URL] = []
        for name in names.sorted() where !name.hasPrefix(".") {
            let folder = parent.appendingPathComponent(name)
            guard removeAbandonedStaging(in: folder) > 0,
                  (try? FileManager.default.contentsOfDirectory(atPath: folder.path))?.isEmpty == true,
                  rmdir(folder.path) == 0 else { continue }
            removed.append(folder)
        }
        return removed
    }

    /// Writes every asked format into `folder` (the staging folder).
    private func write(frames: [RGBImage], fps: Double, into folder: URL, texts: [PNGText],
                       formats: Set<Format>) throws -> Result {
        var result = Result()
        if formats.contains(.pngFrames) {
            for (index, frame) in frames.enumerated() {
                let url = folder.appendingPathComponent(String(format: "frame_%04d.png", index))
                try PNG.write(frame, to: url, texts: texts)
                result.frameFiles.append(url)
            }
        }
        if formats.contains(.apng) {
            let url = folder.appendingPathComponent("video.apng")
            try APNG.write(frames: frames, fps: fps, texts: texts, to: url)
            result.apng = url
        }
        if formats.contains(.gif) {
            let url = folder.appendingPathComponent("video.gif")
            try GIF.write(frames: frames, fps: fps, comments: texts.map { "\($0.keyword): \($0.text)" }, to: url)
            result.gif = url
        }
        if formats.contains(.mp4) {
            let url = folder.appendingPathComponent("video.mp4")
            if let ffmpeg {
                let comment = texts.text(forKeyword: PNGText.parametersKeyword)
                if let failure = Self.runFFmpeg(ffmpeg, frames: frames, fps: fps, comment: comment, to: url) {
                    result.mp4Note = failure
                } else {
                    result.mp4 = url
                }
            } else {
                result.mp4Note = "MP4 skipped: no ffmpeg found on PATH (install ffmpeg to get video.mp4)."
            }
        }
        return result
    }

    /// Pipes raw RGB frames to ffmpeg, writing a temporary MP4 renamed to `url` on success.
    /// Returns nil on success, else a message naming what failed.
    public static func runFFmpeg(_ ffmpeg: URL, frames: [RGBImage], fps: Double, comment: String?, to url: URL) -> String? {
        let width = frames[0].width, height = frames[0].height
        let temporary = AtomicFile.temporaryURL(besides: url, suffix: ".mp4")
        let log = AtomicFile.temporaryURL(besides: url, suffix: ".log")
        defer {
            try? FileManager.default.removeItem(at: temporary)
            try? FileManager.default.removeItem(at: log)
        }
        var arguments = ["-hide_banner", "-loglevel", "error", "-y",
                         "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "\(width)x\(height)",
                         "-framerate", "\(fps)", "-i", "-",
                         // yuv420p (what players expect) needs even sides: pad by one pixel if odd.
                         "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-pix_fmt", "yuv420p",
                         "-movflags", "+faststart"]
        if let comment { arguments += ["-metadata", "comment=\(comment)"] }
        arguments += ["-f", "mp4", temporary.path]

        let process = Process()
        process.executableURL = ffmpeg
        process.arguments = arguments
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        guard FileManager.default.createFile(atPath: log.path, contents: nil),
              let logHandle = try? FileHandle(forWritingTo: log)
        else { return "MP4 skipped: cannot create \(log.path) for ffmpeg's messages." }
        process.standardError = logHandle

        // If ffmpeg exits early, writing to its pipe must fail with EPIPE rather than kill
        // the whole program with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        do {
            try process.run()
        } catch {
            try? logHandle.close()
            return "MP4 skipped: could not start \(ffmpeg.path): \((error as NSError).localizedDescription)."
        }
        var writeError: String?
        do {
            for frame in frames {
                try input.fileHandleForWriting.write(contentsOf: frame.pixels)
            }
        } catch {
            writeError = (error as NSError).localizedDescription
        }
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        try? logHandle.close()
        let messages = (try? String(contentsOf: log, encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard process.terminationReason == .exit, process.terminationStatus == 0, writeError == nil else {
            let detail = messages.isEmpty ? (writeError ?? "no message") : messages
            return "MP4 not written: \(ffmpeg.path) failed (status \(process.terminationStatus)): \(detail)"
        }
        do {
            try AtomicFile.moveIntoPlace(temporary, url)
        } catch {
            return "MP4 not written: \(error)"
        }
        return nil
    }
}
