import Foundation

/// The compiler and the prebuilt `SwiftGradingHarness` module submissions are linked against.
///
/// The module is built once per toolchain and harness source into
/// `$TMPDIR/swift-grading-harness/<key>/`, where `<key>` hashes `swiftc -print-target-info` (asked
/// once per installed compiler, see `TargetInfoCache`), the module's source and the flags; a submission then needs a single `swiftc` invocation, one
/// whole-module frontend (the standard library and Foundation are loaded once, not once per batch
/// of files) and, where lld is installed, lld:
/// ```
/// swiftc -module-name Submission -Onone -wmo [-static-executable] [-use-ld=lld]
///        -I <cache> -L <cache> -lSwiftGradingHarness main.swift Solution.swift Inputs.swift -o student
/// ```
/// `HarnessLinkage` says whether the executable loads the toolchain's runtime libraries (RUNPATH
/// `runtimeLibraryDirectories`) or carries them (`-static-executable`, slower to link).
struct HarnessToolchain: Sendable {
  var swiftc: String
  /// `swiftc -print-target-info`: the compiler version, target and runtime paths.
  var version: String
  var cacheDirectory: URL
  /// `-use-ld=lld` when the toolchain ships lld, which links fastest.
  var linkerFlags: [String]
  /// Where the toolchain's Swift runtime libraries live, e.g. `/opt/swift/usr/lib/swift/linux`:
  /// the RUNPATH the driver writes into a dynamically linked executable.
  var runtimeLibraryDirectories: [String]

  /// Flags of every submission build, whatever its linkage.
  static let submissionFlags = ["-Onone", "-wmo", "-diagnostic-style", "llvm"]

  private static let lock = NSLock()
  nonisolated(unsafe) private static var ready: HarnessToolchain?

  /// The toolchain with its harness module built, or the reason there is none.
  static func prepared() throws -> HarnessToolchain {
    lock.lock()
    defer { lock.unlock() }
    if let ready { return ready }
    let toolchain = try locate()
    try toolchain.buildSupportModuleIfNeeded()
    ready = toolchain
    return toolchain
  }

  /// Arguments of the one `swiftc` run that builds a submission.
  func compileArguments(sources: [String], output: String, linkage: HarnessLinkage) -> [String] {
    ["-module-name", HarnessSupportSource.submissionModuleName] + Self.submissionFlags + linkage.flags + linkerFlags
      + ["-I", cacheDirectory.path, "-L", cacheDirectory.path, "-l\(HarnessSupportSource.moduleName)"]
      + sources + ["-o", output]
  }

  private static func locate() throws -> HarnessToolchain {
    guard let swiftc = ExecutableLookup.find("swiftc") else { throw HarnessSetupError.compilerNotFound }
    let version = try TargetInfoCache.targetInfo(of: swiftc, in: harnessRoot)
    let info = (try? JSONSerialization.jsonObject(with: Data(version.utf8))) as? [String: Any]
    let runtimeDirectories = ((info?["paths"] as? [String: Any])?["runtimeLibraryPaths"] as? [String]) ?? []
    let toolsDirectory = URL(fileURLWithPath: swiftc).deletingLastPathComponent()
    let hasLLD = FileManager.default.isExecutableFile(atPath: toolsDirectory.appendingPathComponent("ld.lld").path)
      || ExecutableLookup.find("ld.lld") != nil
    let linkerFlags = hasLLD ? ["-use-ld=lld"] : []
    let key = FNV1a.hex(version + "\u{0}" + HarnessSupportSource.text + "\u{0}" + (submissionFlags + linkerFlags).joined(separator: " "))
    let cache = harnessRoot.appendingPathComponent(key, isDirectory: true)
    return HarnessToolchain(
      swiftc: swiftc, version: version, cacheDirectory: cache, linkerFlags: linkerFlags,
      runtimeLibraryDirectories: runtimeDirectories.filter { $0.hasPrefix("/") })
  }

  /// `$TMPDIR/swift-grading-harness`: the built harness modules and the cached target info.
  static var harnessRoot: URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("swift-grading-harness", isDirectory: true)
  }

  private var libraryPath: URL { cacheDirectory.appendingPathComponent("lib\(HarnessSupportSource.moduleName).a") }

  private func buildSupportModuleIfNeeded() throws {
    let fm = FileManager.default
    if fm.fileExists(atPath: libraryPath.path) { return }
    let parent = cacheDirectory.deletingLastPathComponent()
    let staging = parent.appendingPathComponent("\(cacheDirectory.lastPathComponent).staging-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    do {
      try fm.createDirectory(at: staging, withIntermediateDirectories: true)
      let source = staging.appendingPathComponent("\(HarnessSupportSource.moduleName).swift")
      try HarnessSupportSource.text.write(to: source, atomically: true, encoding: .utf8)
      let name = HarnessSupportSource.moduleName
      let report = try SandboxedProcess.run(
        executable: swiftc,
        arguments: ["-emit-library", "-static", "-emit-module", "-parse-as-library", "-module-name", name,
                    "-Onone", source.path,
                    "-emit-module-path", staging.appendingPathComponent("\(name).swiftmodule").path,
                    "-o", staging.appendingPathComponent("lib\(name).a").path],
        environment: ProcessInfo.processInfo.environment, wallClockSeconds: 300, maxOutputBytes: 1 << 20)
      guard report.termination == .exited(0) else {
        throw HarnessSetupError.supportModule(report.stderrText)
      }
      if rename(staging.path, cacheDirectory.path) != 0 && !fm.fileExists(atPath: libraryPath.path) {
        throw HarnessSetupError.supportModule("could not move it into \(cacheDirectory.path)")
      }
    } catch {
      try? fm.removeItem(at: staging)
      throw error
    }
    try? fm.removeItem(at: staging)
  }
}

/// Finds an executable by name on `PATH` (then in `/usr/bin`, `/usr/sbin`, `/bin`, `/sbin`).
enum ExecutableLookup {
  static func find(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    let directories = path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/sbin", "/bin", "/sbin"]
    for directory in directories where !directory.isEmpty {
      let candidate = (directory as NSString).appendingPathComponent(name)
      if FileManager.default.isExecutableFile(atPath: candidate) {
        return candidate
      }
    }
    return nil
  }
}

/// 64-bit FNV-1a, as 16 hexadecimal digits: a stable cache key (Swift's `Hasher` is seeded per run).
enum FNV1a {
  static func hex(_ text: String) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
      hash ^= UInt64(byte)
      hash = hash &* 0x0000_0100_0000_01b3
    }
    let digits = String(hash, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
  }
}
