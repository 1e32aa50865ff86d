// zoetrope-store-crasher: a helper the HistoryStore tests run as a child process.
//
//   zoetrope-store-crasher hang <data-dir>
//       begins a run, writes three frames to staging, prints "ready <run-id>", then sleeps
//       until killed (the test sends SIGKILL between writing frames and committing the row).
//   zoetrope-store-crasher fill <data-dir> <max-file-bytes>
//       sets RLIMIT_FSIZE to <max-file-bytes> (a "full disk" for every file this process
//       writes, the index included), then makes small runs until a write fails;
//       prints "failed after <n> runs: <message>" (or "no failure") and exits 0.
import Foundation
import HistoryStore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func settings(_ n: Int) -> RunSettings {
    RunSettings(modelID: "crash-model", prompt: "crash test prompt \(n)", frameCount: 3, width: 8, height: 8,
                stepCount: 2, guidanceScale: 1, sampler: "euler", seed: UInt64(1000 + n), fps: 8,
                requestJSON: "{\"n\":\(n)}")
}

func say(_ line: String) {
    // Unbuffered, so the parent sees the line before the child sleeps or dies.
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    FileHandle.standardError.write(Data("usage: zoetrope-store-crasher hang|fill <data-dir> [max-file-bytes]\n".utf8))
    exit(2)
}
let directory = URL(fileURLWithPath: arguments[2], isDirectory: true)

do {
    switch arguments[1] {
    case "hang":
        let store = try HistoryStore.open(at: directory)
        let run = try store.beginRun(settings(0))
        for frame in 0..<3 {
            try store.writeFile(named: "frame-\(frame).png", data: Data(repeating: UInt8(frame), count: 1024), forRun: run.id)
        }
        say("ready \(run.id)")
        while true { sleep(60) }
    case "fill":
        guard arguments.count >= 4, let limit = UInt64(arguments[3]) else {
            FileHandle.standardError.write(Data("fill needs <max-file-bytes>\n".utf8))
            exit(2)
        }
        // Without this, exceeding the limit kills the process instead of failing the write.
        signal(SIGXFSZ, SIG_IGN)
        var bound = rlimit(rlim_cur: rlim_t(limit), rlim_max: rlim_t(limit))
        #if canImport(Glibc)
        let resource = __rlimit_resource_t(RLIMIT_FSIZE.rawValue)
        #else
        let resource = RLIMIT_FSIZE
        #endif
        guard setrlimit(resource, &bound) == 0 else {
            say("setrlimit failed: \(String(cString: strerror(errno)))")
            exit(1)
        }
        let store = try HistoryStore.open(at: directory)
        for n in 1...10_000 {
            do {
                let run = try store.beginRun(settings(n))
                // Small frames: the index (its WAL) is what reaches the limit first.
                try store.writeFile(named: "frame-0.png", data: Data(repeating: 7, count: 64), forRun: run.id)
                _ = try store.finishRun(run.id, engineVersion: "crasher")
            } catch {
                say("failed after \(n - 1) runs: \(error)")
                exit(0)
            }
        }
        say("no failure")
    default:
        FileHandle.standardError.write(Data("unknown mode \(arguments[1])\n".utf8))
        exit(2)
    }
} catch {
    say("error \(error)")
    exit(1)
}
