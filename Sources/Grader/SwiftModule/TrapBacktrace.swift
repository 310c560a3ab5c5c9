import Foundation

/// The file and line of each frame of a trap's stack trace that lies in the student's binary.
///
/// With the backtracer off (`SWIFT_BACKTRACE=enable=no`, fast and quiet), the Swift runtime still
/// prints the frames of a fatal error, each as its module and the offset from where the module
/// is loaded:
///
/// ```
/// Swift/ContiguousArrayBuffer.swift:692: Fatal error: Index out of range
/// Current stack trace:
/// 3    libswiftCore.so     0x00007f595a2f94f0 _assertionFailure(_:_:file:line:flags:) + 303
/// 5    student             0x0000561e71ce31ec <unavailable> + 4588
/// ```
///
/// Submissions are built with `-g`, so the toolchain's `llvm-symbolizer` (or `addr2line`) turns
/// each offset in the binary into a source line; each becomes a line
/// `frame 5 at /…/Solution.swift:3:32` after the trace, which `ItemEnding.studentFrame` reads
/// (`Fatal error: Index out of range, at Solution.swift:3`). A frame's address is a return
/// address, so the line asked for is that of the byte before it: the call.
enum TrapBacktrace {
  /// The module-relative offsets, in order, of the frames of `stderr`'s stack trace that are in
  /// one of `modules` (the binary's name as the runtime prints it).
  static func offsets(in stderr: String, modules: Set<String>) -> [(frame: Int, offset: UInt64)] {
    guard let start = stderr.range(of: "Current stack trace:") else { return [] }
    var found: [(frame: Int, offset: UInt64)] = []
    for line in stderr[start.upperBound...].split(separator: "\n").prefix(maximumFrames) {
      let fields = line.split(separator: " ", omittingEmptySubsequences: true)
      guard fields.count >= 6, let frame = Int(fields[0]), modules.contains(String(fields[1])),
            fields[3] == "<unavailable>", fields[4] == "+", let offset = UInt64(fields[5]), offset > 0
      else { continue }
      found.append((frame, offset))
    }
    return found
  }

  /// `stderr` followed by one `frame N at FILE:LINE:COLUMN` line per frame of the trace in
  /// `binary` that `symbolizer` places in a source file; `stderr` unchanged when there is no such
  /// frame or the symbolizer fails or outlives its two seconds.
  static func symbolicated(_ stderr: String, binary: String, modules: Set<String>, symbolizer: String) -> String {
    let frames = offsets(in: stderr, modules: modules)
    guard !frames.isEmpty else { return stderr }
    let addresses = frames.map { "0x" + String($0.offset - 1, radix: 16) }
    let usesAddr2line = (symbolizer as NSString).lastPathComponent == "addr2line"
    let arguments = usesAddr2line ? ["-e", binary] + addresses : ["--obj=\(binary)", "--no-inlines", "--functions=none"] + addresses
    guard let report = try? SandboxedProcess.run(
      executable: symbolizer, arguments: arguments, environment: ["PATH": "/usr/bin:/bin"],
      wallClockSeconds: 2, maxOutputBytes: 64 << 10),
      report.termination == .exited(0), !report.timedOut
    else { return stderr }
    // One place per address, e.g. `/…/Solution.swift:3:32` or `/…/Solution.swift:3 (discriminator 2)`.
    let places = report.stdoutText.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
      .filter { !$0.isEmpty }.map { String($0.prefix { $0 != " " }) }
    guard places.count == frames.count else { return stderr }
    let lines = zip(frames, places).compactMap { frame, place -> String? in
      guard place.contains(".swift:"), !place.hasPrefix("??") else { return nil }
      return "frame \(frame.frame) at \(place)"
    }
    return lines.isEmpty ? stderr : stderr + "\n" + lines.joined(separator: "\n")
  }

  /// The symbolizer that goes with `swiftc`'s toolchain: its own `llvm-symbolizer`, else one on
  /// the PATH, else `addr2line`.
  static func symbolizer(toolsDirectory: URL) -> String? {
    let own = toolsDirectory.appendingPathComponent("llvm-symbolizer").path
    if FileManager.default.isExecutableFile(atPath: own) { return own }
    return ExecutableLookup.find("llvm-symbolizer") ?? ExecutableLookup.find("addr2line")
  }

  /// The runtime prints at most this many frames; a longer "trace" is not the runtime's.
  private static let maximumFrames = 128
}
