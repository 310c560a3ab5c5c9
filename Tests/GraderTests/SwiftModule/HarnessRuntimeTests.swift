import Foundation
import Testing
@testable import Grader

/// The Swift runtime a dynamically linked submission loads: listed from `ldd`, bound read-only
/// into bubblewrap, hard-linked into a chroot, and the linkage each isolation ends up with.
@Suite(.enabled(if: SwiftModuleFixtures.swiftcAvailable, SwiftModuleFixtures.swiftcMissingMessage))
struct HarnessRuntimeTests {
  @Test("ldd output gives the resolved libraries and the loader, not headers or missing ones")
  func lddOutputIsParsed() {
    let output = """
    /opt/swift/usr/lib/swift/linux/libFoundation.so:
    \tlinux-vdso.so.1 (0x00007ffd1b5f2000)
    \tlibswiftCore.so => not found
    \tlibm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x00007f3a1c2f1000)
    \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f3a1c110000)
    \t/lib64/ld-linux-x86-64.so.2 (0x00007f3a1c9f4000)
    /opt/swift/usr/lib/swift/linux/libBlocksRuntime.so:
    \tstatically linked
    """
    #expect(HarnessRuntime.dependencyPaths(inLddOutput: output)
            == ["/lib/x86_64-linux-gnu/libm.so.6", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"])
  }

  @Test("a runtime directory outside the system's is bound read-only after 0755 parents")
  func runtimeDirectoryBinds() {
    #expect(SandboxPlan.readOnlyDirectoryBinds(["/opt/swift/usr/lib/swift/linux"]) == [
      "--perms", "0755", "--dir", "/opt",
      "--perms", "0755", "--dir", "/opt/swift",
      "--perms", "0755", "--dir", "/opt/swift/usr",
      "--perms", "0755", "--dir", "/opt/swift/usr/lib",
      "--perms", "0755", "--dir", "/opt/swift/usr/lib/swift",
      "--ro-bind", "/opt/swift/usr/lib/swift/linux", "/opt/swift/usr/lib/swift/linux",
    ])
    #expect(SandboxPlan.readOnlyDirectoryBinds(["/usr/lib/swift/linux", "relative/dir"]).isEmpty)
  }

  @Test("the listed runtime holds the toolchain's Swift runtime, the C library and the loader, as regular files")
  func runtimeIsListed() throws {
    let toolchain = try HarnessToolchain.prepared()
    #expect(!toolchain.runtimeLibraryDirectories.isEmpty)
    guard ExecutableLookup.find("ldd") != nil else { return }
    let runtime = try #require(HarnessRuntime.listed(for: toolchain))
    let names = Set(runtime.files.map { ($0.path as NSString).lastPathComponent })
    for name in ["libswiftCore.so", "libFoundation.so", "libc.so.6"] {
      #expect(names.contains(name), "\(name) is not in \(names.sorted())")
    }
    #expect(names.contains { $0.hasPrefix("ld-linux") || $0.hasPrefix("ld-musl") })
    for file in runtime.files {
      var info = stat()
      #expect(lstat(file.source, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG, "\(file.source)")
    }
  }

  @Test("every isolation here runs a dynamically linked submission", arguments: SwiftModuleFixtures.isolations)
  func submissionsAreDynamicallyLinked(isolation: Isolation) throws {
    let submission = try SwiftModuleFixtures.workedSolution("rnn-canonical", isolation: isolation)
    #expect(submission.compiled)
    // A chroot falls back to a static executable only when the runtime cannot be hard-linked.
    if submission.isolationUsed.contains("chroot") && ExecutableLookup.find("ldd") == nil { return }
    #expect(submission.linkage == .dynamic, "\(submission.isolationUsed)")
    if submission.isolationUsed.hasPrefix("bubblewrap") {
      #expect(submission.libraryDirectories == (try HarnessToolchain.prepared()).runtimeLibraryDirectories)
    }
    let spec = try SwiftModuleFixtures.spec("rnn-canonical")
    let run = submission.run(itemIDs: ["loss"], itemShapes: spec.itemShapes, inputs: SwiftModuleFixtures.randomInputs(spec, seed: 2))
    #expect(run.outcomes["loss"]?.tensor?.shape == [], "\(String(describing: run.outcomes["loss"]))")
  }

  @Test("in a chroot the runtime is regular files the item can neither write nor own")
  func chrootRuntimeIsReadOnly() throws {
    guard SandboxPlan.isRoot, ExecutableLookup.find("chroot") != nil else { return }
    let submission = try SwiftModuleFixtures.workedSolution("rnn-canonical", isolation: .rlimits)
    let workspace = try #require(submission.workspace)
    guard submission.linkage == .dynamic else { return }
    let files = try #require(workspace.runtimeFiles)
    for file in files.files {
      var info = stat()
      #expect(lstat(workspace.runtime.path + file.path, &info) == 0, "\(workspace.runtime.path + file.path)")
      #expect((info.st_mode & S_IFMT) == S_IFREG && (info.st_mode & 0o022) == 0,
              "\(file.path) mode \(String(info.st_mode, radix: 8))")
      #expect(info.st_uid < 1_900_000_000, "\(file.path) belongs to an item uid")
    }
  }
}
