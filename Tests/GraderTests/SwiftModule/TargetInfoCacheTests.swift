import Foundation
import Testing
@testable import Grader

/// `swiftc -print-target-info` is asked once per compiler: the cached answer is reused while the
/// compiler's file is unchanged, and asked again when it changes or the cache is not trustworthy.
@Suite(.serialized)
struct TargetInfoCacheTests {
  /// A stand-in compiler that prints one JSON object and counts its runs in `runs.log`.
  static func fakeCompiler(in directory: URL, answer: String) throws -> URL {
    let log = directory.appendingPathComponent("runs.log").path
    return try installScript("#!/bin/sh\necho run >> '\(log)'\necho '\(answer)'\n", as: "swiftc", in: directory)
  }

  /// Writes `text` as the executable `directory/name`. The executable is written by `install`, a
  /// child process, so no writable descriptor of it is ever open in this (multi-threaded) process:
  /// another test forking meanwhile cannot inherit one and make the script's exec fail with
  /// "text file busy".
  static func installScript(_ text: String, as name: String, in directory: URL) throws -> URL {
    let source = directory.appendingPathComponent("\(name).source")
    let script = directory.appendingPathComponent(name)
    try text.write(to: source, atomically: true, encoding: .utf8)
    let install = Process()
    install.executableURL = URL(fileURLWithPath: "/usr/bin/install")
    install.arguments = ["-m", "755", source.path, script.path]
    try install.run()
    install.waitUntilExit()
    try #require(install.terminationStatus == 0, "install wrote \(script.path)")
    return script
  }

  static func runs(in directory: URL) -> Int {
    ((try? String(contentsOf: directory.appendingPathComponent("runs.log"), encoding: .utf8)) ?? "")
      .split(separator: "\n").count
  }

  static func freshDirectory() throws -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("target-info-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
    return directory
  }

  @Test("the answer is cached until the compiler's file changes")
  func cachedUntilTheCompilerChanges() throws {
    let directory = try Self.freshDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let root = directory.appendingPathComponent("cache")
    let compiler = try Self.fakeCompiler(in: directory, answer: #"{"compilerVersion": "one"}"#)

    let first = try TargetInfoCache.targetInfo(of: compiler.path, in: root)
    #expect(first.contains("\"one\""))
    #expect(try TargetInfoCache.targetInfo(of: compiler.path, in: root) == first)
    #expect(Self.runs(in: directory) == 1, "the second answer came from the cache")

    // Another compiler at the same path: size, times and inode change, so it is asked again.
    try FileManager.default.removeItem(at: compiler)
    _ = try Self.fakeCompiler(in: directory, answer: #"{"compilerVersion": "two, longer"}"#)
    #expect(try TargetInfoCache.targetInfo(of: compiler.path, in: root).contains("two, longer"))
    #expect(Self.runs(in: directory) == 2)
  }

  @Test("a cache file others may write is not read")
  func untrustedCacheIsIgnored() throws {
    let directory = try Self.freshDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let root = directory.appendingPathComponent("cache")
    let compiler = try Self.fakeCompiler(in: directory, answer: #"{"compilerVersion": "real"}"#)
    _ = try TargetInfoCache.targetInfo(of: compiler.path, in: root)
    let key = try #require(TargetInfoCache.identity(of: compiler.path))
    let file = root.appendingPathComponent("target-info-\(key).json")
    try FileManager.default.removeItem(at: file)
    try #"{"compilerVersion": "planted"}"#.write(to: file, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o666], ofItemAtPath: file.path)
    #expect(try TargetInfoCache.targetInfo(of: compiler.path, in: root).contains("\"real\""))
    #expect(Self.runs(in: directory) == 2)
  }

  @Test("a compiler that fails is an error, and nothing is cached")
  func failingCompilerThrows() throws {
    let directory = try Self.freshDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let script = try Self.installScript("#!/bin/sh\necho broken >&2\nexit 3\n", as: "swiftc", in: directory)
    let root = directory.appendingPathComponent("cache")
    #expect(throws: HarnessSetupError.self) { try TargetInfoCache.targetInfo(of: script.path, in: root) }
    let cached = ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).filter { $0.hasPrefix("target-info-") }
    #expect(cached.isEmpty)
  }
}
