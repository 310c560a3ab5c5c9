import Foundation
import Jacobians
import Testing
import TestSupport

@testable import Grader

@Suite("SafetensorsFormat")
struct SafetensorsFormatTests {
  @Test("F32, F64, I32, I64, F16 and BF16 tensors read as the manifest says")
  func readsFixture() throws {
    let file = "safetensors/tensors.safetensors"
    let collection = try SafetensorsFormat.read(ArrayFixtures.data(file))
    let expected = try #require(ArrayFixtures.manifest.valid[file])
    #expect(Set(collection.items.map(\.name)) == Set(expected.keys))
    #expect(collection.ignored == ["__metadata__"])
    for (name, want) in expected {
      ArrayFixtures.expect(collection[name]?.tensor, matches: want, "\(file) \(name)")
    }
  }

  @Test("write then read returns the same arrays, on 20 seeds", arguments: randomSeeds)
  func roundTrip(seed: UInt64) throws {
    var rng = SplitMix64(seed: seed)
    let arrays = ["dW_h": ArrayFixtures.randomTensor(&rng, dtype: .float64), "ids": ArrayFixtures.randomTensor(&rng, dtype: .int64),
                  "db_1": ArrayFixtures.randomTensor(&rng, dtype: .float64)]
    let data = SafetensorsFormat.encode(arrays, metadata: ["format": "np"])
    let headerSize = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    #expect(headerSize % 8 == 0)
    let collection = try SafetensorsFormat.read(data)
    for (name, tensor) in arrays {
      #expect(ArrayFixtures.identical(collection[name]?.tensor, tensor), "\(name)")
    }
  }

  @Test("a tensor past the end or of the wrong size is unreadable; the others are read")
  func badTensors() throws {
    let collection = try SafetensorsFormat.read(ArrayFixtures.data("bad/tensors.safetensors"))
    let expected = try #require(ArrayFixtures.manifest.item_errors["bad/tensors.safetensors"])
    ArrayFixtures.expect(collection["ok"]?.tensor, matches: expected.readable["ok"]!, "ok")
    #expect(collection["past_end"]?.problem == "its data_offsets [32, 4096] run past the end of the 80 bytes of data")
    #expect(collection["wrong_size"]?.problem == "its shape [4, 2] of I32 needs 8 entries, 32 bytes, but its data_offsets span 24 bytes")
  }

  /// A safetensors file with the given header text over `dataBytes` zero bytes.
  private func file(header: String, dataBytes: Int) -> Data {
    var data = Data()
    data.appendLE(UInt64(header.utf8.count))
    data.append(contentsOf: Array(header.utf8))
    data.append(Data(count: dataBytes))
    return data
  }

  @Test("overlapping tensors are both unreadable; a tensor beside them is read")
  func overlap() throws {
    let header = #"{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},"c":{"dtype":"I64","shape":[],"data_offsets":[16,24]}}"#
    let collection = try SafetensorsFormat.read(file(header: header, dataBytes: 24))
    #expect(collection["a"]?.problem == "its bytes overlap those of tensor b, which start at 8")
    #expect(collection["b"]?.problem == "its bytes 8..<16 overlap those of tensor a")
    #expect(collection["c"]?.tensor == Tensor(shape: [], scalars: [0], dtype: .int64))
  }

  @Test("header fields of the wrong kind name the field")
  func badFields() throws {
    let header = #"{"d":{"dtype":"C64","shape":[1],"data_offsets":[0,8]},"s":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]},"o":{"dtype":"F32","shape":[1],"data_offsets":[8,4]},"m":{"shape":[1],"data_offsets":[0,4]},"n":[1,2]}"#
    let collection = try SafetensorsFormat.read(file(header: header, dataBytes: 8))
    #expect(collection["d"]?.problem == "unsupported dtype \"C64\"; expected F32, F64, I32 or I64")
    #expect(collection["s"]?.problem == "its \"shape\" is not a list of non-negative integers")
    #expect(collection["o"]?.problem == "its data_offsets [8, 4] end before they begin")
    #expect(collection["m"]?.problem == "its header entry has no \"dtype\"; expected \"dtype\", \"shape\" and \"data_offsets\"")
    #expect(collection["n"]?.problem == "its header entry is a list; expected {\"dtype\", \"shape\", \"data_offsets\"}")
  }

  @Test("a header size past the end, a header that is not JSON, or a short file fail the whole file")
  func wholeFile() throws {
    #expect(throws: SafetensorsFormatError.headerPastEnd(headerSize: 1 << 40, fileBytes: 10)) {
      try SafetensorsFormat.read(ArrayFixtures.data("bad/header_size.safetensors"))
    }
    #expect(throws: SafetensorsFormatError.headerNotJSON("unexpected character 'o' where a key in double quotes was expected at line 1, column 2")) {
      try SafetensorsFormat.read(ArrayFixtures.data("bad/header_text.safetensors"))
    }
    #expect(throws: SafetensorsFormatError.tooShort(fileBytes: 3)) { try SafetensorsFormat.read(Data([1, 2, 3])) }
    #expect(throws: SafetensorsFormatError.headerNotObject(found: "a list")) { try SafetensorsFormat.read(file(header: "[]", dataBytes: 0)) }
    #expect(SafetensorsFormatError.headerPastEnd(headerSize: 1 << 40, fileBytes: 10).description == "its header size field says 1099511627776 bytes, but only 2 bytes follow it")
  }
}
