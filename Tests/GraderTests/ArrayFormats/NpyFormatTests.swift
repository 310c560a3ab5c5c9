import Foundation
import Jacobians
import Testing
import TestSupport

@testable import Grader

@Suite("NpyFormat")
struct NpyFormatTests {
  @Test("every .npy fixture written by NumPy reads as the manifest says", arguments: ArrayFixtures.validFiles(under: "npy/"))
  func readsFixture(file: String) throws {
    let tensor = try NpyFormat.read(ArrayFixtures.data(file))
    let (name, expected) = try #require(ArrayFixtures.manifest.valid[file]?.first)
    ArrayFixtures.expect(tensor, matches: expected, "\(file) (\(name))")
  }

  @Test("the fixtures cover versions 1.0, 2.0 and 3.0, both byte orders and Fortran order")
  func fixtureCoverage() throws {
    var versions = Set<String>()
    var descrs = Set<String>()
    var fortran = 0
    for file in ArrayFixtures.validFiles(under: "npy/") {
      let header = try NpyFormat.readHeader(ArrayFixtures.data(file))
      versions.insert(header.version.description)
      descrs.insert(header.descr)
      if header.fortranOrder { fortran += 1 }
    }
    #expect(versions == ["1.0", "2.0", "3.0"])
    #expect(descrs.isSuperset(of: ["<f4", "<f8", "<i4", "<i8", ">f4", ">f8", ">i4", ">i8"]))
    #expect(fortran >= 3)
  }

  @Test("encode matches np.save byte for byte", arguments: [
    "npy/v1_c_f8_2d.npy", "npy/v1_c_i8_1d.npy", "npy/v1_scalar_f8.npy", "npy/v1_scalar_i8.npy", "npy/v1_empty_f8_0x3.npy",
    "npy/v1_nonfinite_f8.npy",
  ])
  func encodeMatchesNumPy(file: String) throws {
    let original = try ArrayFixtures.data(file)
    #expect(NpyFormat.encode(try NpyFormat.read(original)) == original)
  }

  @Test("write then read returns the same tensor, on 20 seeds", arguments: randomSeeds)
  func roundTrip(seed: UInt64) throws {
    var rng = SplitMix64(seed: seed)
    for dtype in [DType.float64, .int64] {
      let tensor = ArrayFixtures.randomTensor(&rng, dtype: dtype)
      let back = try NpyFormat.read(NpyFormat.encode(tensor))
      #expect(ArrayFixtures.identical(back, tensor), "\(tensor)")
      #expect(NpyFormat.encode(tensor).count % 64 == tensor.count * 8 % 64, "the data starts on a multiple of 64")
    }
  }

  @Test("float32 and int32 tensors are written widened to <f8 and <i8")
  func widensOnWrite() throws {
    let header = try NpyFormat.readHeader(NpyFormat.encode(Tensor(shape: [2], scalars: [0.5, 1.5], dtype: .float32)))
    #expect(header.descr == "<f8")
    let ints = try NpyFormat.readHeader(NpyFormat.encode(Tensor(shape: [1], scalars: [3], dtype: .int32)))
    #expect(ints.descr == "<i8")
  }

  @Test("Fortran order becomes row-major order")
  func fortranReorder() {
    // A 2×3 matrix [[0, 1, 2], [3, 4, 5]] is stored column by column as 0 3 1 4 2 5.
    #expect(NpyFormat.rowMajor(fromColumnMajor: [0, 3, 1, 4, 2, 5], shape: [2, 3]) == [0, 1, 2, 3, 4, 5])
    // 2×2×2: column-major offset of (i, j, k) is i + 2j + 4k.
    let columnMajor = (0..<8).map { offset -> Double in
      let (i, j, k) = (offset % 2, offset / 2 % 2, offset / 4)
      return Double(4 * i + 2 * j + k)
    }
    #expect(NpyFormat.rowMajor(fromColumnMajor: columnMajor, shape: [2, 2, 2]) == (0..<8).map(Double.init))
  }

  @Test("half-precision values widen exactly")
  func halfPrecision() {
    #expect(StoredElement.halfToFloat(0x3C00) == 1)
    #expect(StoredElement.halfToFloat(0xC000) == -2)
    #expect(StoredElement.halfToFloat(0x0001) == Float(sign: .plus, exponent: -24, significand: 1))
    #expect(StoredElement.halfToFloat(0x7C00) == .infinity)
    #expect(StoredElement.halfToFloat(0xFE00).isNaN)
    #expect(StoredElement.halfToFloat(0x8000).sign == .minus)
  }

  struct Malformed: Sendable, CustomStringConvertible {
    var file: String
    var message: String
    var description: String { file }
  }

  @Test("a malformed .npy gives a sentence naming the problem", arguments: [
    Malformed(file: "bad/dW_h.npy", message: "header declares shape (5, 5) (25 entries, 200 bytes) but the file holds 96 bytes of data"),
    Malformed(file: "bad/bad_magic.npy", message: "not a .npy file: magic bytes missing (it starts with 93 4E 55 4D 50 5A"),
    Malformed(file: "bad/not_npy.npy", message: "not a .npy file: magic bytes missing (it starts with 57 5F 68 20 3D 20"),
    Malformed(file: "bad/truncated_header.npy", message: "the file ends after 40 bytes, inside its header, which runs to byte 128"),
    Malformed(file: "bad/missing_shape.npy", message: "the header has no 'shape' key; expected 'descr', 'fortran_order' and 'shape'"),
    Malformed(file: "bad/garbled_header.npy", message: "the header is not a Python dict literal: unknown name 'Flase' where a value was expected (only True, False and None are allowed) at character 35"),
    Malformed(file: "bad/negative_shape.npy", message: "the header's 'shape' is (2, -1); expected a tuple of non-negative integers"),
    Malformed(file: "bad/version_4.npy", message: "unsupported .npy format version 4.0; expected 1.0, 2.0 or 3.0"),
    Malformed(file: "bad/complex.npy", message: "unsupported dtype '<c16' (complex); expected f4, f8, i4 or i8"),
    Malformed(file: "bad/object.npy", message: "unsupported dtype '|O' (Python objects, saved with pickle); expected f4, f8, i4 or i8"),
    Malformed(file: "bad/structured.npy", message: "unsupported dtype '[('x', '<f8'), ('y', '<i4')]' (a structured dtype with named fields)"),
    Malformed(file: "bad/strings.npy", message: "unsupported dtype '<U2' (unicode strings)"),
    Malformed(file: "bad/extra_bytes.npy", message: "header declares shape (5,) (5 entries, 20 bytes) but the file holds 24 bytes of data"),
  ])
  func malformed(_ fixture: Malformed) throws {
    let data = try ArrayFixtures.data(fixture.file)
    #expect(throws: NpyFormatError.self) { try NpyFormat.read(data) }
    do {
      _ = try NpyFormat.read(data)
    } catch {
      #expect(error.description.contains(fixture.message), "\(error.description)")
    }
  }

  @Test("an empty file and a header cut inside its length field are reported")
  func tinyFiles() {
    #expect(throws: NpyFormatError.magicMissing(firstBytes: [])) { try NpyFormat.read(Data()) }
    #expect(throws: NpyFormatError.truncatedHeader(fileBytes: 9, headerEnd: 10)) {
      try NpyFormat.read(Data(NpyFormat.magic + [1, 0, 0x76]))
    }
    #expect(NpyFormatError.magicMissing(firstBytes: []).description == "not a .npy file: magic bytes missing (the file is empty; expected 93 4E 55 4D 50 59, \"\\x93NUMPY\")")
  }

  @Test("Python literals parse as ast.literal_eval reads them")
  func pythonLiterals() throws {
    #expect(try PythonLiteral.parse("(3,)") == .tuple([.integer(3)]))
    #expect(try PythonLiteral.parse("()") == .tuple([]))
    #expect(try PythonLiteral.parse("(2, 3)") == .tuple([.integer(2), .integer(3)]))
    #expect(try PythonLiteral.parse("(4)") == .integer(4))
    #expect(try PythonLiteral.parse("(5L, 6L)") == .tuple([.integer(5), .integer(6)]))
    #expect(try PythonLiteral.parse("{\"descr\": '<f8', 'fortran_order': True, 'shape': (), }") ==
      .dict([(.string("descr"), .string("<f8")), (.string("fortran_order"), .boolean(true)), (.string("shape"), .tuple([]))]))
    #expect(throws: PythonLiteral.SyntaxError.self) { try PythonLiteral.parse("{'shape': (2, 3.5)}") }
    #expect(throws: PythonLiteral.SyntaxError.self) { try PythonLiteral.parse("{'shape': (2, 3)") }
    #expect(throws: PythonLiteral.SyntaxError.self) { try PythonLiteral.parse("{} {}") }
    #expect(NpyFormat.pythonShape([]) == "()")
    #expect(NpyFormat.pythonShape([3]) == "(3,)")
    #expect(NpyFormat.pythonShape([2, 3]) == "(2, 3)")
  }
}
