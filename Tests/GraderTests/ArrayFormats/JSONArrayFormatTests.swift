import Foundation
import Jacobians
import Testing
import TestSupport

@testable import Grader

@Suite("JSONArrayFormat")
struct JSONArrayFormatTests {
  @Test("json.dump output reads as the manifest says, NaN and Infinity included", arguments: ArrayFixtures.validFiles(under: "json/"))
  func readsFixture(file: String) throws {
    let stem = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
    let collection = try JSONArrayFormat.read(ArrayFixtures.data(file), singleItemName: stem)
    let expected = try #require(ArrayFixtures.manifest.valid[file])
    #expect(Set(collection.items.map(\.name)) == Set(expected.keys))
    for (name, want) in expected {
      ArrayFixtures.expect(collection[name]?.tensor, matches: want, "\(file) \(name)")
    }
  }

  @Test("write then read returns the same arrays, on 20 seeds", arguments: randomSeeds)
  func roundTrip(seed: UInt64) throws {
    var rng = SplitMix64(seed: seed)
    let arrays = ["W_h": ArrayFixtures.randomTensor(&rng, dtype: .float64), "ids": ArrayFixtures.randomTensor(&rng, dtype: .int64),
                  "b_1": ArrayFixtures.randomTensor(&rng, dtype: .float32), "weird \"name\"\n": ArrayFixtures.randomTensor(&rng, dtype: .int32)]
    let collection = try JSONArrayFormat.read(JSONArrayFormat.encode(arrays), singleItemName: "unused")
    for (name, tensor) in arrays {
      #expect(ArrayFixtures.identical(collection[name]?.tensor, tensor), "\(name)")
    }
  }

  @Test("the written text is one {shape, dtype, data} object per item with NaN tokens")
  func writtenText() {
    let text = String(decoding: JSONArrayFormat.encode([
      "b_1": Tensor(shape: [3], scalars: [0.5, .nan, -.infinity]),
      "n": Tensor(scalar: 7, dtype: .int64),
    ]), as: UTF8.self)
    #expect(text == """
      {
        "b_1": {"shape": [3], "dtype": "float64", "data": [0.5, NaN, -Infinity]},
        "n": {"shape": [], "dtype": "int64", "data": [7]}
      }

      """)
    #expect(String(decoding: JSONArrayFormat.encode([:]), as: UTF8.self) == "{}\n")
  }

  @Test("each bad item is unreadable with a sentence naming it; good items are read")
  func badItems() throws {
    let collection = try JSONArrayFormat.read(ArrayFixtures.data("bad/items.json"), singleItemName: "items")
    let expected = try #require(ArrayFixtures.manifest.item_errors["bad/items.json"])
    ArrayFixtures.expect(collection["good"]?.tensor, matches: expected.readable["good"]!, "good")
    let problems = Dictionary(uniqueKeysWithValues: expected.unreadable.map { ($0, collection[$0]?.problem) })
    #expect(problems["ragged"] == "ragged is a ragged list at depth 1: ragged[1] has 2 entries but ragged[0] has 3; expected a rectangular nested list")
    #expect(problems["deep_ragged"] == "deep_ragged is a ragged list at depth 2: deep_ragged[1][1] has 2 entries but deep_ragged[0][0] has 1; expected a rectangular nested list")
    #expect(problems["mixed"] == "mixed mixes numbers and lists: mixed[1] is a number but mixed[0] is a list of 2 entries; expected a rectangular nested list")
    #expect(problems["short_data"] == "short_data declares shape [2, 2] (4 entries) but its data holds 3 numbers")
    #expect(problems["text"] == "text[1] is a string (\"two\"); expected a number (text must hold only numbers, NaN or Infinity)")
  }

  struct ItemCase: Sendable, CustomStringConvertible {
    var json: String
    var problem: String
    var description: String { json }
  }

  @Test("other item problems", arguments: [
    ItemCase(json: #"{"x": null}"#, problem: "x is null; expected a number, a nested list or {\"shape\": [...], \"data\": [...]}"),
    ItemCase(json: #"{"x": [1, [2]]}"#, problem: "x mixes numbers and lists: x[1] is a list but x[0] is a number; expected a rectangular nested list"),
    ItemCase(json: #"{"x": [[], [1]]}"#, problem: "x is a ragged list at depth 1: x[1] has 1 entry but x[0] has 0; expected a rectangular nested list"),
    ItemCase(json: #"{"x": {"shape": [2], "data": [1, 2], "units": "m"}}"#, problem: "x has an unexpected key \"units\"; expected \"shape\", \"data\" and optionally \"dtype\""),
    ItemCase(json: #"{"x": {"shape": [2]}}"#, problem: "x has no \"data\" key; expected \"shape\", \"data\" and optionally \"dtype\""),
    ItemCase(json: #"{"x": {"shape": [2.5], "data": [1, 2]}}"#, problem: "x has a shape that is a list containing 2.5; expected a list of non-negative integers"),
    ItemCase(json: #"{"x": {"shape": [2], "data": [1, 2], "dtype": "complex64"}}"#, problem: "x has dtype \"complex64\"; expected \"float32\", \"float64\", \"int32\" or \"int64\""),
    ItemCase(json: #"{"x": {"shape": [3, 2], "data": [[1, 2, 3], [4, 5, 6]]}}"#, problem: "x declares shape [3, 2] but its data is nested with shape [2, 3]; expected flat data or the declared shape"),
    ItemCase(json: #"{"x": [1], "x": [2]}"#, problem: "x appears 2 times in the object; expected each item once"),
  ])
  func itemProblem(_ item: ItemCase) throws {
    let collection = try JSONArrayFormat.read(Data(item.json.utf8), singleItemName: "unused")
    #expect(collection.items.count == 1)
    #expect(collection["x"]?.problem == item.problem)
  }

  @Test("without a dtype every JSON array is float64, integer literals included")
  func inference() throws {
    let collection = try JSONArrayFormat.read(Data(#"{"i": [[1, 2], [3, -4]], "f": [1, 2.0], "s": 3, "e": [], "n": {"shape": [2, 1], "data": [[1], [2]], "dtype": "<f4"}}"#.utf8), singleItemName: "unused")
    #expect(collection["i"]?.tensor == Tensor(shape: [2, 2], scalars: [1, 2, 3, -4], dtype: .float64))
    #expect(collection["f"]?.tensor == Tensor(shape: [2], scalars: [1, 2], dtype: .float64))
    #expect(collection["s"]?.tensor == Tensor(shape: [], scalars: [3], dtype: .float64))
    #expect(collection["e"]?.tensor == Tensor(shape: [0], scalars: [], dtype: .float64))
    #expect(collection["n"]?.tensor == Tensor(shape: [2, 1], scalars: [1, 2], dtype: .float32))
  }

  @Test("a document that is not JSON gives the line and column")
  func syntaxErrors() throws {
    #expect(throws: JSONArrayFormatError.invalidJSON("unexpected character ',' where a value was expected at line 4, column 16")) {
      try JSONArrayFormat.read(ArrayFixtures.data("bad/not_json.json"), singleItemName: "not_json")
    }
    #expect(throws: JSONArrayFormatError.notAnObject(found: "a string (\"dW_h\")")) {
      try JSONArrayFormat.read(ArrayFixtures.data("bad/string.json"), singleItemName: "string")
    }
    #expect(throws: JSONArrayFormatError.invalidJSON("unexpected end of file inside a list at line 1, column 9")) {
      try JSONArrayFormat.read(Data(#"{"x": [1"#.utf8), singleItemName: "unused")
    }
    #expect(JSONArrayFormatError.invalidJSON("unexpected character ',' where a value was expected at line 4, column 16").description ==
      "it is not valid JSON: unexpected character ',' where a value was expected at line 4, column 16; expected an object mapping item ids to arrays")
  }

  @Test("the JSON reader follows RFC 8259 plus Python's non-finite tokens")
  func reader() throws {
    #expect(try ArrayJSON.parse(Data("[-0.0, 1e-05, 12, 1E+2]".utf8)) == .array([
      .number(-0.0, isInteger: false), .number(1e-05, isInteger: false), .number(12, isInteger: true), .number(100, isInteger: false),
    ]))
    guard case .array(let items) = try ArrayJSON.parse(Data("[NaN, -Infinity]".utf8)), case .number(let x, _) = items[0], case .number(let y, _) = items[1] else {
      Issue.record("expected a list of two numbers")
      return
    }
    #expect(x.isNaN && y == -.infinity)
    #expect(try ArrayJSON.parse(Data("\u{FEFF}{\"a\\u00e9\\ud83d\\ude00\": true}".utf8)) == .object([ArrayJSON.Member(key: "aé😀", value: .bool(true))]))
    for bad in ["[01]", "[1.]", "[.5]", "[+1]", "{'a': 1}", "[1,]", "nan", "[\"a\nb\"]", "{\"a\" 1}"] {
      #expect(throws: ArrayJSON.SyntaxError.self, "\(bad)") { try ArrayJSON.parse(Data(bad.utf8)) }
    }
    let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
    #expect(throws: ArrayJSON.SyntaxError.self) { try ArrayJSON.parse(Data(deep.utf8)) }
    #expect(ArrayJSON.format(0.1) == "0.1")
    #expect(ArrayJSON.format(1e-5) == "1e-05")
    #expect(ArrayJSON.format(-7, asInteger: true) == "-7")
  }
}
