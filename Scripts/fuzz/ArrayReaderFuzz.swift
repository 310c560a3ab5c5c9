// The libFuzzer entry point of the array readers, built by Scripts/fuzz-arrays.sh together with
// Sources/Grader/ArrayFormats and Sources/Grader/Tensor.swift (so the readers' internal API is
// in reach). Not part of the package: SwiftPM never compiles this folder.
//
// An input is one byte choosing the format (its value mod 4: .npy, .npz, .json, .safetensors)
// followed by the file's bytes. Each input is read with the limits of a small assignment; a
// crash, a trap, an AddressSanitizer report, an allocation above -malloc_limit_mb or a result
// beyond the limits (checked below, reported with fatalError) is a finding.

import Foundation

let fuzzLimits = ArrayReadLimits(largestItemEntries: 64, itemCount: 4)
let kinds: [(ArraySubmissionReader.FileKind, String)] = [(.npy, "W_h.npy"), (.npz, "grads.npz"), (.json, "answers.json"), (.safetensors, "tensors.safetensors")]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzArrayReaders(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  guard size > 0 else { return 0 }
  let (kind, file) = kinds[Int(data[0]) % kinds.count]
  let bytes = Data(UnsafeBufferPointer(start: data + 1, count: size - 1))
  var budget = ArrayReadBudget(fuzzLimits)
  let stem = String(file.split(separator: ".")[0])
  switch ArraySubmissionReader.read(bytes, kind: kind, file: file, stem: stem, budget: &budget) {
  case .failure(let error):
    if error.description.isEmpty { fatalError("an empty message for a refused \(file)") }
  case .success(let collection):
    var total = 0
    for item in collection.items {
      switch item.entry {
      case .tensor(let t):
        if t.scalars.count != t.shape.reduce(1, *) { fatalError("\(item.name): \(t.scalars.count) entries for shape \(t.shape)") }
        if t.scalars.count > fuzzLimits.maximumEntriesPerArray { fatalError("\(item.name): \(t.scalars.count) entries read, beyond the limit") }
        total += t.scalars.count
      case .unreadable(let reason):
        if reason.isEmpty { fatalError("\(item.name): unreadable without a reason") }
      }
    }
    if total > fuzzLimits.maximumTotalEntries || total != budget.entries { fatalError("\(total) entries read, \(budget.entries) charged") }
  }
  if budget.memberBytes > fuzzLimits.maximumInflatedBytes { fatalError("\(budget.memberBytes) bytes inflated, beyond the limit") }
  return 0
}

/// With ARRAY_FUZZ_SEEDS=<folder>, writes the seed inputs there first: the files ArrayFileWriter
/// writes for a few answers, in every format, each prefixed with its format byte.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
  guard let folder = ProcessInfo.processInfo.environment["ARRAY_FUZZ_SEEDS"] else { return 0 }
  let seeds = URL(fileURLWithPath: folder)
  let scratch = seeds.appendingPathComponent(".written")
  try? FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: scratch) }
  let answers: [[String: Tensor]] = [
    ["W_h": Tensor(shape: [5, 5], scalars: (0..<25).map { Double($0) * 0.37 - 4 }),
     "b_1": Tensor(shape: [5], scalars: [0.5, -1, .nan, .infinity, 1e-300]),
     "counts": Tensor(shape: [3], scalars: [1, 2, 3], dtype: .int64)],
    ["E": Tensor(shape: [2, 3, 2], scalars: (0..<12).map(Double.init)), "loss": Tensor(scalar: 2.5),
     "empty": Tensor(shape: [0, 3], scalars: [])],
  ]
  var written = 0
  for (index, arrays) in answers.enumerated() {
    var files: [(String, UInt8, NpzFormat.Compression, [String: Tensor])] = [
      ("a\(index).npz", 1, .stored, arrays), ("c\(index).npz", 1, .deflated, arrays),
      ("a\(index).json", 2, .stored, arrays), ("a\(index).safetensors", 3, .stored, arrays),
    ]
    for (name, tensor) in arrays { files.append(("\(name).npy", 0, .stored, [name: tensor])) }
    for (name, kind, compression, content) in files {
      let url = scratch.appendingPathComponent(name)
      do {
        try ArrayFileWriter.write(content, to: url, npzCompression: compression)
        let seed = Data([kind]) + (try Data(contentsOf: url))
        try seed.write(to: seeds.appendingPathComponent("seed-\(index)-\(name)"))
        written += 1
      } catch {
        fatalError("cannot write the seed \(name): \(error)")
      }
    }
  }
  FileHandle.standardError.write(Data("wrote \(written) seed inputs to \(folder)\n".utf8))
  return 0
}
