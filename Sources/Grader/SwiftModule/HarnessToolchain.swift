import Foundation
import Digest
#if canImport(Glibc)
import Glibc
#endif

/// The compiler and the prebuilt `SwiftGradingHarness` module submissions are linked against.
///
/// The module is built once per toolchain and harness source into
/// `$TMPDIR/swift-grading-harness-<uid>/<key>/`, where `<uid>` is the grader's user, and `<key>`
/// hashes `swiftc -print-target-info` (asked once per installed compiler, see `TargetInfoCache`),
/// the module's source and the flags; a submission then needs a single `swiftc` invocation, one
/// whole-module frontend (the standard library and Foundation are loaded once, not once per batch
/// of files) and, where lld is installed, lld:
/// ```
/// swiftc -module-name Submission -Onone -wmo [-static-executable] [-use-ld=lld]
///        -module-cache-path <cache>/module-cache
///        -I <cache> -L <cache> -lSwiftGradingHarness main.swift Solution.swift Inputs.swift -o student
/// ```
/// `HarnessLinkage` says whether the executable loads the toolchain's runtime libraries (RUNPATH
/// `runtimeLibraryDirectories`) or carries them (`-static-executable`, slower to link).
///
/// The cache is the grader's, never the students': its folders and files belong to the grader's
/// user and neither group nor others may write them (else it is built again elsewhere), items and
/// compiles run under other uids (root) or in a sandbox that does not bind it writable. Without
/// root and without bubblewrap the students' code runs as the grader's user and could rewrite it,
/// so every file is then checked against the SHA-256 digests in `manifest.sha256` before each use
/// and the cache built again when one differs (a student who rewrites the manifest too can still
/// change what the next submissions link: see `Isolation`).
///
/// `module-cache/` holds the clang modules of Foundation, Glibc, Dispatch and the harness,
/// built once by the grader at that path (precompiled modules record it); compiles read it
/// without writing. A submission that imports something else is compiled again with a private,
/// writable module cache in its own workspace.
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
  /// The toolchain's `usr` folder (the resolved `swiftc`'s grandparent), bound read-only into a
  /// compile sandbox.
  var toolchainDirectory: String
  /// What turns a trap's frames into source lines (`TrapBacktrace.symbolizer`), if anything.
  var symbolizer: String?

  /// The shared, read-only module cache.
  var moduleCache: URL { cacheDirectory.appendingPathComponent("module-cache", isDirectory: true) }

  /// Flags of every submission build, whatever its linkage.
  /// `-g`: a trap's stack trace can be placed at the student's line (`TrapBacktrace`).
  static let submissionFlags = ["-Onone", "-g", "-wmo", "-diagnostic-style", "llvm"]

  private static let lock = NSLock()
  nonisolated(unsafe) private static var ready: HarnessToolchain?

  /// The toolchain with its harness module built (and, without root, verified), or the reason
  /// there is none.
  static func prepared() throws -> HarnessToolchain {
    lock.lock()
    defer { lock.unlock() }
    if let ready {
      if SandboxPlan.isRoot { return ready }
      try ready.withCacheLock { if !ready.cacheIsIntact() { try ready.rebuild() } }
      return ready
    }
    let toolchain = try locate()
    try toolchain.withCacheLock { if !toolchain.cacheIsIntact() { try toolchain.rebuild() } }
    ready = toolchain
    return toolchain
  }

  /// Runs `body` holding an exclusive `flock` on `<key>.lock` beside the cache, so that grading
  /// processes started together build and check it one at a time.
  private func withCacheLock(_ body: () throws -> Void) throws {
    let path = cacheDirectory.path + ".lock"
    let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
    guard fd >= 0 else { throw HarnessSetupError.workspace("could not open \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    while flock(fd, LOCK_EX) != 0 {
      guard errno == EINTR else { throw HarnessSetupError.workspace("could not lock \(path): \(String(cString: strerror(errno)))") }
    }
    try body()
  }

  /// Arguments of the one `swiftc` run that builds a submission.
  func compileArguments(sources: [String], output: String, linkage: HarnessLinkage, moduleCache: String) -> [String] {
    ["-module-name", HarnessSupportSource.submissionModuleName] + Self.submissionFlags + linkage.flags + linkerFlags
      + ["-module-cache-path", moduleCache]
      + ["-I", cacheDirectory.path, "-L", cacheDirectory.path, "-l\(HarnessSupportSource.moduleName)"]
      + sources + ["-o", output]
  }

  private static func locate() throws -> HarnessToolchain {
    guard let swiftc = ExecutableLookup.find("swiftc") else { throw HarnessSetupError.compilerNotFound }
    let root = try harnessRoot()
    let version = try TargetInfoCache.targetInfo(of: swiftc, in: root)
    let info = (try? JSONSerialization.jsonObject(with: Data(version.utf8))) as? [String: Any]
    let runtimeDirectories = ((info?["paths"] as? [String: Any])?["runtimeLibraryPaths"] as? [String]) ?? []
    let resolved = realpath(swiftc, nil).map { pointer in defer { free(pointer) }; return String(cString: pointer) } ?? swiftc
    let toolsDirectory = URL(fileURLWithPath: resolved).deletingLastPathComponent()
    let hasLLD = FileManager.default.isExecutableFile(atPath: toolsDirectory.appendingPathComponent("ld.lld").path)
      || ExecutableLookup.find("ld.lld") != nil
    let linkerFlags = hasLLD ? ["-use-ld=lld"] : []
    let key = FNV1a.hex(version + "\u{0}" + HarnessSupportSource.text + "\u{0}" + (submissionFlags + linkerFlags).joined(separator: " "))
    let cache = root.appendingPathComponent(key, isDirectory: true)
    return HarnessToolchain(
      swiftc: swiftc, version: version, cacheDirectory: cache, linkerFlags: linkerFlags,
      runtimeLibraryDirectories: runtimeDirectories.filter { $0.hasPrefix("/") },
      toolchainDirectory: toolsDirectory.deletingLastPathComponent().path,
      symbolizer: TrapBacktrace.symbolizer(toolsDirectory: toolsDirectory))
  }

  /// `$TMPDIR/swift-grading-harness-<uid>`: the built harness modules and the cached target info,
  /// made 0755 (root: item uids read it) or 0700. One that exists but is not the grader's own
  /// (another user made it first) is not used: a private folder is made instead.
  static func harnessRoot() throws -> URL {
    let fm = FileManager.default
    let shared = fm.temporaryDirectory.appendingPathComponent("swift-grading-harness-\(geteuid())", isDirectory: true)
    let mode: mode_t = SandboxPlan.isRoot ? 0o755 : 0o700
    if mkdir(shared.path, mode) == 0 { _ = chmod(shared.path, mode) }
    if TargetInfoCache.isTrusted(shared.path, directory: true) { return shared }
    var template = Array(fm.temporaryDirectory.appendingPathComponent("swift-grading-harness-\(geteuid())-XXXXXX").path.utf8CString)
    guard let made = mkdtemp(&template) else {
      throw HarnessSetupError.workspace("mkdtemp failed: \(String(cString: strerror(errno)))")
    }
    _ = chmod(made, mode)
    return URL(fileURLWithPath: String(cString: made), isDirectory: true)
  }

  private var libraryPath: URL { cacheDirectory.appendingPathComponent("lib\(HarnessSupportSource.moduleName).a") }
  private var manifest: URL { cacheDirectory.appendingPathComponent("manifest.sha256") }
  private var moduleCacheReady: URL { cacheDirectory.appendingPathComponent("module-cache.ready") }

  /// Moves a damaged or untrusted cache aside and builds it again.
  private func rebuild() throws {
    let fm = FileManager.default
    if fm.fileExists(atPath: cacheDirectory.path) {
      let aside = cacheDirectory.deletingLastPathComponent()
        .appendingPathComponent("\(cacheDirectory.lastPathComponent).stale-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
      if rename(cacheDirectory.path, aside.path) == 0 { try? fm.removeItem(at: aside) }
    }
    try buildSupportModule()
    try warmModuleCache()
    try writeManifest()
  }

  /// Whether the cache is complete, the grader's own, and (without root) unchanged since built.
  func cacheIsIntact() -> Bool {
    let fm = FileManager.default
    guard fm.fileExists(atPath: libraryPath.path), fm.fileExists(atPath: moduleCacheReady.path),
          TargetInfoCache.isTrusted(cacheDirectory.path, directory: true) else { return false }
    guard let files = try? Self.regularFiles(in: cacheDirectory), files.allSatisfy({ TargetInfoCache.isTrusted($0.path, directory: false) })
    else { return false }
    if SandboxPlan.isRoot { return true }
    guard let recorded = try? String(contentsOf: manifest, encoding: .utf8) else { return false }
    return recorded == (try? digests(of: files))
  }

  private func buildSupportModule() throws {
    let fm = FileManager.default
    let parent = cacheDirectory.deletingLastPathComponent()
    let staging = parent.appendingPathComponent("\(cacheDirectory.lastPathComponent).staging-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    let temporary = parent.appendingPathComponent("\(cacheDirectory.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    defer {
      try? fm.removeItem(at: staging)
      try? fm.removeItem(at: temporary)
    }
    try fm.createDirectory(at: staging, withIntermediateDirectories: true)
    try fm.createDirectory(at: temporary, withIntermediateDirectories: true)
    _ = chmod(staging.path, 0o755)
    let source = staging.appendingPathComponent("\(HarnessSupportSource.moduleName).swift")
    try HarnessSupportSource.text.write(to: source, atomically: true, encoding: .utf8)
    let name = HarnessSupportSource.moduleName
    let report = try SandboxedProcess.run(
      executable: swiftc,
      arguments: ["-emit-library", "-static", "-emit-module", "-parse-as-library", "-module-name", name,
                  "-Onone", source.path,
                  "-emit-module-path", staging.appendingPathComponent("\(name).swiftmodule").path,
                  "-o", staging.appendingPathComponent("lib\(name).a").path],
      environment: Self.compilerEnvironment(temporary: temporary), wallClockSeconds: 300, maxOutputBytes: 1 << 20)
    guard report.termination == .exited(0) else {
      throw HarnessSetupError.supportModule(report.stderrText)
    }
    if rename(staging.path, cacheDirectory.path) != 0 && !fm.fileExists(atPath: libraryPath.path) {
      throw HarnessSetupError.supportModule("could not move it into \(cacheDirectory.path)")
    }
  }

  /// Builds the clang modules every submission loads into `module-cache/`, at the path compiles
  /// will name, by compiling a program that imports them; then makes them readable to all.
  private func warmModuleCache() throws {
    let fm = FileManager.default
    if fm.fileExists(atPath: moduleCacheReady.path) { return }
    let scratch = cacheDirectory.appendingPathComponent("warm-\(getpid())-\(UInt32.random(in: 0...UInt32.max))", isDirectory: true)
    try fm.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? fm.removeItem(at: scratch) }
    let main = scratch.appendingPathComponent("main.swift")
    try """
      import \(HarnessSupportSource.moduleName)
      import Foundation
      import Dispatch
      #if canImport(Glibc)
      import Glibc
      #endif
      print(sqrt(2.0), Date().timeIntervalSince1970 > 0)
      """.write(to: main, atomically: true, encoding: .utf8)
    for linkage in [HarnessLinkage.dynamic] {
      let report = try SandboxedProcess.run(
        executable: swiftc,
        arguments: compileArguments(sources: [main.path], output: scratch.appendingPathComponent("warm").path,
                                    linkage: linkage, moduleCache: moduleCache.path),
        environment: Self.compilerEnvironment(temporary: scratch), wallClockSeconds: 300, maxOutputBytes: 1 << 20)
      guard report.termination == .exited(0) else {
        throw HarnessSetupError.supportModule("the module cache could not be built: \(report.stderrText)")
      }
    }
    try Self.makeReadable(moduleCache)
    try Data().write(to: moduleCacheReady)
  }

  /// The grader's environment with TMPDIR in `temporary`, which is removed afterwards, so that
  /// the driver's temporary folders go with it.
  static func compilerEnvironment(temporary: URL) -> [String: String] {
    var environment = ProcessInfo.processInfo.environment
    environment["TMPDIR"] = temporary.path
    return environment
  }

  private func writeManifest() throws {
    let files = try Self.regularFiles(in: cacheDirectory)
    try AtomicFile.write(try digests(of: files), to: manifest)
    _ = chmod(manifest.path, 0o644)
  }

  /// `<sha256> <relative path>` per file but the manifest, sorted.
  private func digests(of files: [URL]) throws -> String {
    let base = cacheDirectory.path + "/"
    var lines: [String] = []
    for file in files where file.path != manifest.path {
      let data = try Data(contentsOf: file)
      lines.append("\(Hex.string(SHA256.hash(data))) \(file.path.dropFirst(base.count))")
    }
    return lines.sorted().joined(separator: "\n") + "\n"
  }

  /// Every regular file under `directory` (not following links), sorted.
  private static func regularFiles(in directory: URL) throws -> [URL] {
    guard let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey, .isSymbolicLinkKey]) else {
      return []
    }
    var files: [URL] = []
    for case let url as URL in walker {
      let values = try url.resourceValues(forKeys: [.isRegularFileKey, .isSymbolicLinkKey])
      if values.isSymbolicLink == true { throw HarnessSetupError.workspace("\(url.path) is a symbolic link") }
      if values.isRegularFile == true { files.append(url) }
    }
    return files.sorted { $0.path < $1.path }
  }

  /// a+rX on every folder and file under `directory`, no write but the owner's.
  private static func makeReadable(_ directory: URL) throws {
    let fm = FileManager.default
    _ = chmod(directory.path, 0o755)
    for path in (fm.subpaths(atPath: directory.path) ?? []) {
      let full = directory.appendingPathComponent(path).path
      var info = stat()
      guard lstat(full, &info) == 0 else { continue }
      _ = chmod(full, (info.st_mode & S_IFMT) == S_IFDIR ? 0o755 : 0o644)
    }
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
