import Foundation
import Jacobians
import Testing
import TestSupport

@testable import Grader

@Suite("ArrayFileWriter")
struct ArrayFileWriterTests {
  static let destinations = ["out.npz", "out.json", "out.safetensors", "out/", "plain"]

  @Test("every format round-trips through a file and the submission reader, on 20 seeds", arguments: randomSeeds)
  func roundTrip(seed: UInt64) throws {
    var rng = SplitMix64(seed: seed)
    let arrays = ["W_h": ArrayFixtures.randomTensor(&rng, dtype: .float64), "b_1": ArrayFixtures.randomTensor(&rng, dtype: .float64),
                  "step": ArrayFixtures.randomTensor(&rng, dtype: .int64)]
    let folder = try ArrayFixtures.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    for destination in Self.destinations {
      let url = folder.appendingPathComponent(destination)
      try ArrayFileWriter.write(arrays, to: url)
      let submission = try ArraySubmissionReader.read(at: url)
      #expect(Set(submission.entries.keys) == Set(arrays.keys), "\(destination)")
      for (name, tensor) in arrays {
        #expect(ArrayFixtures.identical(submission.entries[name]?.tensor, tensor), "\(destination) \(name)")
      }
    }
    let compressed = folder.appendingPathComponent("compressed.npz")
    try ArrayFileWriter.write(arrays, to: compressed, npzCompression: .deflated)
    let submission = try ArraySubmissionReader.read(at: compressed)
    #expect(arrays.allSatisfy { ArrayFixtures.identical(submission.entries[$0.key]?.tensor, $0.value) })
  }

  @Test("a single .npy takes one array; unknown extensions and bad names are refused")
  func refusals() throws {
    let folder = try ArrayFixtures.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let one = ["W_h": Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])]
    try ArrayFileWriter.write(one, to: folder.appendingPathComponent("W_h.npy"))
    #expect(try ArraySubmissionReader.read(at: folder.appendingPathComponent("W_h.npy")).entries["W_h"]?.tensor == one["W_h"])
    #expect(throws: ArrayWriteError.oneArrayPerNpy(file: "two.npy", count: 2)) {
      try ArrayFileWriter.write(["a": Tensor(scalar: 1), "b": Tensor(scalar: 2)], to: folder.appendingPathComponent("two.npy"))
    }
    #expect(throws: ArrayWriteError.unknownExtension(file: "out.csv")) { try ArrayFileWriter.write(one, to: folder.appendingPathComponent("out.csv")) }
    #expect(throws: ArrayWriteError.self) { try ArrayFileWriter.write(["a/b": Tensor(scalar: 1)], to: folder.appendingPathComponent("out.npz")) }
    #expect(throws: ArrayWriteError.self) { try ArrayFileWriter.write(["__metadata__": Tensor(scalar: 1)], to: folder.appendingPathComponent("out.safetensors")) }
    #expect(ArrayWriteError.oneArrayPerNpy(file: "two.npy", count: 2).description == "two.npy is a .npy file, which holds one array, but there are 2; write a folder, an .npz, a .json or a .safetensors file instead")
  }

  /// The first `python3` on the PATH that can import NumPy, or nil when there is none.
  static let python: URL? = {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    let candidates = path.split(separator: ":").map { "\($0)/python3" }
    for path in candidates where FileManager.default.isExecutableFile(atPath: path) {
      let url = URL(fileURLWithPath: path)
      if (try? run(url, ["-c", "import numpy"]))?.status == 0 { return url }
    }
    return nil
  }()

  struct Run {
    var status: Int32
    var output: String
  }

  static func run(_ executable: URL, _ arguments: [String]) throws -> Run {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Run(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self))
  }

  /// Reads the written files with NumPy and prints, per item, its dtype, shape and values.
  static let numpyReader = """
    import json, struct, sys
    import numpy as np
    def show(name, a):
        a = np.asarray(a)
        vals = [repr(float(v)) if a.dtype.kind == 'f' else str(int(v)) for v in a.ravel()]
        print(name, a.dtype.str, list(a.shape), ' '.join(vals))
    for path in sys.argv[1:]:
        if path.endswith('.npz'):
            with np.load(path) as z:
                for k in sorted(z.files): show(k, z[k])
        elif path.endswith('.npy'):
            show('npy', np.load(path))
        elif path.endswith('.json'):
            for k, v in sorted(json.load(open(path)).items()):
                show(k, np.array(v['data'], dtype=v['dtype']).reshape(v['shape']))
        elif path.endswith('.safetensors'):
            raw = open(path, 'rb').read()
            n = struct.unpack('<Q', raw[:8])[0]
            for k, v in sorted(json.loads(raw[8:8 + n]).items()):
                b, e = v['data_offsets']
                dt = {'F64': '<f8', 'I64': '<i8'}[v['dtype']]
                show(k, np.frombuffer(raw[8 + n + b:8 + n + e], dtype=dt).reshape(v['shape']))
    """

  @Test("NumPy reads what we write: .npz stored and deflated, .npy, .json and .safetensors")
  func numpyReadsOurFiles() throws {
    guard let python = Self.python else {
      print("Skipping the NumPy check: python3 with numpy is not installed.")
      return
    }
    let arrays = [
      "W_h": Tensor(shape: [2, 3], scalars: [0.1, -2.5, 1e-300, .nan, .infinity, -0.0]),
      "b_1": Tensor(shape: [3], scalars: [1, 2, 3], dtype: .float32),
      "loss": Tensor(scalar: 0.6931471805599453),
      "ids": Tensor(shape: [2, 0], scalars: [], dtype: .int64),
      "step": Tensor(shape: [1, 2], scalars: [-1_152_921_504_606_846_976, 41], dtype: .int64),
    ]
    // Python's repr of each float, and int64 values as integers.
    let expected = """
      W_h <f8 [2, 3] 0.1 -2.5 1e-300 nan inf -0.0
      b_1 <f8 [3] 1.0 2.0 3.0
      ids <i8 [2, 0] \("")
      loss <f8 [] 0.6931471805599453
      step <i8 [1, 2] -1152921504606846976 41
      """
    let folder = try ArrayFixtures.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    for file in ["stored.npz", "deflated.npz", "arrays.json", "arrays.safetensors"] {
      let url = folder.appendingPathComponent(file)
      try ArrayFileWriter.write(arrays, to: url, npzCompression: file == "deflated.npz" ? .deflated : .stored)
      let result = try Self.run(python, ["-c", Self.numpyReader, url.path])
      #expect(result.status == 0, "\(file): \(result.output)")
      let lines = result.output.split(separator: "\n").map(String.init)
      let want = expected.split(separator: "\n").map { String($0).trimmingCharacters(in: .whitespaces) }
      let got = lines.map { $0.trimmingCharacters(in: .whitespaces) }
      if file.hasSuffix(".json") {
        // JSON keeps the dtype: b_1 stays float32.
        #expect(got == want.map { $0.replacingOccurrences(of: "b_1 <f8", with: "b_1 <f4") }, "\(file)")
      } else {
        #expect(got == want, "\(file)")
      }
    }
    let single = folder.appendingPathComponent("W_h.npy")
    try ArrayFileWriter.write(["W_h": arrays["W_h"]!], to: single)
    let result = try Self.run(python, ["-c", Self.numpyReader, single.path])
    #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == "npy <f8 [2, 3] 0.1 -2.5 1e-300 nan inf -0.0")
  }
}
