import Foundation
import Jacobians
import Testing
import TestSupport

@testable import Grader

@Suite("NpzFormat")
struct NpzFormatTests {
  @Test("np.savez, np.savez_compressed and a ZIP64 directory read as the manifest says", arguments: ArrayFixtures.validFiles(under: "npz/"))
  func readsFixture(file: String) throws {
    let collection = try NpzFormat.read(ArrayFixtures.data(file))
    let expected = try #require(ArrayFixtures.manifest.valid[file])
    #expect(Set(collection.items.map(\.name)) == Set(expected.keys))
    for (name, want) in expected {
      ArrayFixtures.expect(collection[name]?.tensor, matches: want, "\(file) \(name)")
    }
  }

  @Test("the fixtures hold stored and deflated members, and ZIP64 fields as np.savez writes them")
  func fixtureLayout() throws {
    let stored = try ZipArchive(ArrayFixtures.data("npz/savez.npz"))
    let deflated = try ZipArchive(ArrayFixtures.data("npz/savez_compressed.npz"))
    #expect(stored.members.allSatisfy { $0.method == 0 })
    #expect(deflated.members.allSatisfy { $0.method == 8 && $0.compressedSize < $0.uncompressedSize })
    // np.savez writes each local header with 0xFFFFFFFF sizes and a ZIP64 extra field.
    let bytes = try ArrayFixtures.data("npz/savez.npz")
    #expect(bytes[18..<26] == Data(repeating: 0xFF, count: 8))
    let zip64 = try ZipArchive(ArrayFixtures.data("npz/zip64_central.npz"))
    #expect(zip64.members.map(\.name) == ["W_h.npy", "b_1.npy"])
    #expect(zip64.members[1].localHeaderOffset > 0)
  }

  @Test("write then read returns the same arrays, stored and deflated, on 20 seeds", arguments: randomSeeds)
  func roundTrip(seed: UInt64) throws {
    var rng = SplitMix64(seed: seed)
    let arrays = ["W_h": ArrayFixtures.randomTensor(&rng, dtype: .float64), "b_1": ArrayFixtures.randomTensor(&rng, dtype: .float64),
                  "counts": ArrayFixtures.randomTensor(&rng, dtype: .int64)]
    for compression in [NpzFormat.Compression.stored, .deflated] {
      let collection = try NpzFormat.read(NpzFormat.encode(arrays, compression: compression))
      #expect(collection.items.map(\.name) == ["W_h", "b_1", "counts"])
      for (name, tensor) in arrays {
        #expect(ArrayFixtures.identical(collection[name]?.tensor, tensor), "\(name) \(compression)")
      }
    }
  }

  @Test("raw deflate round-trips and agrees with zlib's CRC-32")
  func rawDeflate() throws {
    let text = Data(String(repeating: "W_h b_1 U b_2 E h0 delta1 delta2 ", count: 50).utf8)
    let compressed = RawDeflate.deflate(text)
    #expect(compressed.count < text.count / 4)
    #expect(try RawDeflate.inflate(compressed, expectedSize: text.count) == text)
    #expect(throws: RawDeflate.InflateError.self) { try RawDeflate.inflate(compressed, expectedSize: text.count - 1) }
    #expect(throws: RawDeflate.InflateError.self) { try RawDeflate.inflate(compressed.prefix(compressed.count / 2), expectedSize: text.count) }
    // The standard check value: CRC-32 of the ASCII digits 123456789.
    #expect(RawDeflate.crc32(Data("123456789".utf8)) == 0xCBF4_3926)
    #expect(RawDeflate.crc32(Data()) == 0)
  }

  @Test("a bad member is unreadable on its own; the other members are read")
  func corruptMembers() throws {
    let collection = try NpzFormat.read(ArrayFixtures.data("bad/members.npz"))
    let expected = try #require(ArrayFixtures.manifest.item_errors["bad/members.npz"])
    ArrayFixtures.expect(collection["W_h"]?.tensor, matches: expected.readable["W_h"]!, "W_h")
    let b_1 = try #require(collection["b_1"]?.problem)
    #expect(b_1.contains("its CRC-32 is") && b_1.hasSuffix("so the data is corrupt"), "\(b_1)")
    let U = try #require(collection["U"]?.problem)
    #expect(U == "header declares shape (3, 5) (15 entries, 120 bytes) but the file holds 112 bytes of data")
    #expect(collection.items.first { $0.name == "U" }?.location == "member U.npy")
  }

  @Test("a corrupt deflate stream and an unknown method are member problems")
  func memberFailures() throws {
    var deflated = try ArrayFixtures.data("npz/savez_compressed.npz")
    let archive = try ZipArchive(deflated)
    let first = archive.members[0]
    let local = first.localHeaderOffset
    let start = local + 30 + Int(deflated[local + 26]) + Int(deflated[local + 28]) + 256 * Int(deflated[local + 29])
    for k in 0..<8 { deflated[start + 4 + k] ^= 0xA5 }
    let damaged = try NpzFormat.read(deflated)
    #expect(damaged["W_h"]?.problem != nil)
    #expect(damaged["b_1"]?.tensor != nil)

    var bzip = NpzFormat.encode(["x": Tensor(scalar: 1)])
    // The method field of the local header (offset 8) and of the central entry (offset 10).
    bzip[8] = 12
    let centralMethod = bzip.count - 22 - (46 + 5) + 10
    bzip[centralMethod] = 12
    let unknown = try NpzFormat.read(bzip)
    #expect(unknown["x"]?.problem == "it uses compression method 12 (bzip2); expected stored (0) or deflated (8), as np.savez and np.savez_compressed write")
  }

  @Test("a cut-short archive fails as a whole")
  func truncated() throws {
    let data = try ArrayFixtures.data("bad/truncated.npz")
    #expect(throws: NpzFormatError.self) { try NpzFormat.read(data) }
    #expect(throws: NpzFormatError(reason: "it is 4 bytes long, too short for a ZIP archive")) { try NpzFormat.read(Data([1, 2, 3, 4])) }
    do {
      _ = try NpzFormat.read(data)
    } catch {
      #expect(error.description == "it is not a readable ZIP archive: its end-of-central-directory record is missing, so it is not a ZIP archive or it was cut short; expected an archive written by np.savez or np.savez_compressed")
    }
  }

  @Test("non-.npy members are listed as ignored, folders inside keep their path")
  func otherMembers() throws {
    var writer = ZipArchiveWriter()
    writer.add(name: "notes.txt", contents: Data("hello".utf8), method: .stored)
    writer.add(name: "grads/", contents: Data(), method: .stored)
    writer.add(name: "grads/W_h.npy", contents: NpyFormat.encode(Tensor(shape: [2], scalars: [1, 2])), method: .deflated)
    let collection = try NpzFormat.read(writer.finish())
    #expect(collection.ignored == ["notes.txt"])
    #expect(collection.items.map(\.name) == ["grads/W_h"])
  }
}
