import Foundation
import Jacobians
import Testing

@testable import Grader

/// Hostile and damaged array files, generated here: every one is answered with a sentence
/// naming the file (or member) and what was expected, in bounded time, with each bound of
/// `ArrayReadLimits` enforced before the reader allocates or recurses. None may crash.
@Suite("Malformed array files")
struct MalformedInputTests {
  /// The limits of a small assignment: 4 items, the largest of 25 entries (a 5 × 5 matrix).
  ///
  /// ```
  /// entries per array  4·25 + 4 096                  = 4 196
  /// total entries      4·4·25 + 16·4 096             = 65 936
  /// arrays             4·4 + 64                      = 80
  /// member bytes       8·4 196 + 10 012              = 43 580   (43.6 KB)
  /// inflated bytes     8·65 936 + 80·10 012          = 1 328 448
  /// file bytes         48·65 936 + 1 048 576         = 4 213 504 (4.2 MB)
  /// JSON numbers       65 936 + 80·64                = 71 056
  /// ```
  static let limits = ArrayReadLimits(largestItemEntries: 25, itemCount: 4)

  enum Outcome: Sendable {
    /// The whole submission is refused; the message holds every one of these.
    case refused([String])
    /// Item `item` is unreadable, its message holding every one of these; other items read.
    case unreadable(item: String, [String])
    /// A folder: one file is a problem holding these; the rest is read.
    case fileProblem([String])
  }

  struct File: Sendable {
    enum Content: Sendable {
      case bytes(@Sendable () -> Data)
      /// A sparse file of that many bytes (nothing is written to disk).
      case sparse(Int)
      /// A symbolic link to that path.
      case link(String)
    }
    var name: String
    var content: Content

    static func bytes(_ name: String, _ make: @escaping @Sendable () -> Data) -> File { File(name: name, content: .bytes(make)) }
  }

  struct Case: Sendable, CustomTestStringConvertible {
    var name: String
    var files: [File]
    /// The files go into a folder `submission/`, which is read.
    var folder = false
    var limits = MalformedInputTests.limits
    var outcome: Outcome
    var testDescription: String { name }
  }

  static let bigInt = "9223372036854775807"

  // MARK: .npy

  static let npyCases: [Case] = [
    Case(name: "npy v1 header of 65 000 nested '(': refused by its length, unparsed",
         files: [.bytes("W_h.npy") { MalformedArrays.npy(header: MalformedArrays.npyHeader(shape: String(repeating: "(", count: 65_000))) }],
         outcome: .unreadable(item: "W_h", ["W_h.npy: the header length field says 65053 bytes; expected at most 10000"])),
    Case(name: "npy v1 header of 65 000 nested '(' with a 1 MB header allowed: the depth bound",
         files: [.bytes("W_h.npy") { MalformedArrays.npy(header: MalformedArrays.npyHeader(shape: String(repeating: "(", count: 65_000))) }],
         limits: with(limits) { $0.maximumHeaderBytes = 1 << 20 },
         outcome: .unreadable(item: "W_h", ["W_h.npy: the header is not a Python dict literal", "nested 65 deep, more than the 64 a header may have"])),
    Case(name: "npy v2 header of 2 000 000 nested '['",
         files: [.bytes("W_h.npy") { MalformedArrays.npy(header: MalformedArrays.npyHeader(shape: String(repeating: "[", count: 2_000_000)), version: 2) }],
         outcome: .unreadable(item: "W_h", ["the header length field says 2000053 bytes; expected at most 10000"])),
    Case(name: "npy v2 header of 2 000 000 nested '[' with a 4 MB header allowed: the depth bound",
         files: [.bytes("W_h.npy") { MalformedArrays.npy(header: MalformedArrays.npyHeader(shape: String(repeating: "[", count: 2_000_000)), version: 2) }],
         limits: with(limits) { $0.maximumHeaderBytes = 4 << 20 },
         outcome: .unreadable(item: "W_h", ["nested 65 deep, more than the 64 a header may have"])),
    Case(name: "npy header of 5 000 '(' within NumPy's 10 000 bytes",
         files: [.bytes("W_h.npy") { MalformedArrays.npy(header: MalformedArrays.npyHeader(shape: String(repeating: "(", count: 5_000))) }],
         outcome: .unreadable(item: "W_h", ["nested 65 deep"])),
    Case(name: "npy header length 4 294 967 295 (v2)",
         files: [.bytes("W_h.npy") { MalformedArrays.npy(header: "{}", version: 2, length: 0xFFFF_FFFF) }],
         outcome: .unreadable(item: "W_h", ["the header length field says 4294967295 bytes; expected at most 10000"])),
    Case(name: "npy truncated header",
         files: [.bytes("W_h.npy") { MalformedArrays.npy(header: MalformedArrays.npyHeader(shape: "(2,)"), length: 200) }],
         outcome: .unreadable(item: "W_h", ["the file ends after 67 bytes, inside its header, which runs to byte 210"])),
    Case(name: "npy file cut inside its length field",
         files: [.bytes("W_h.npy") { Data(NpyFormat.magic + [2, 0, 0x10]) }],
         outcome: .unreadable(item: "W_h", ["the file ends after 9 bytes"])),
    Case(name: "npy negative dimension",
         files: [.bytes("W_h.npy") { MalformedArrays.npy(header: MalformedArrays.npyHeader(shape: "(2, -1)")) }],
         outcome: .unreadable(item: "W_h", ["the header's 'shape' is (2, -1); expected a tuple of non-negative integers"])),
    Case(name: "npy dimensions that overflow only when multiplied",
         files: [.bytes("W_h.npy") { MalformedArrays.npy(header: MalformedArrays.npyHeader(shape: "(4294967296, 4294967296)")) }],
         outcome: .unreadable(item: "W_h", ["shape 4294967296×4294967296 has more entries than a 64-bit integer can count; expected at most 4196 entries, the most an answer of this assignment can need"])),
    Case(name: "npy dimensions whose product overflows before a zero",
         files: [.bytes("W_h.npy") { MalformedArrays.npy(header: MalformedArrays.npyHeader(shape: "(4294967296, 4294967296, 0)")) }],
         outcome: .unreadable(item: "W_h", ["more entries than a 64-bit integer can count"])),
    Case(name: "npy shape beyond the entries of the assignment",
         files: [.bytes("W_h.npy") { MalformedArrays.npy(header: MalformedArrays.npyHeader(shape: "(100000, 100000)")) }],
         outcome: .unreadable(item: "W_h", ["shape 100000×100000 has 10000000000 entries; expected at most 4196 entries"])),
    Case(name: "npy shape of 100 dimensions",
         files: [.bytes("W_h.npy") { MalformedArrays.npy(header: MalformedArrays.npyHeader(shape: "(" + String(repeating: "1, ", count: 100) + ")")) }],
         outcome: .unreadable(item: "W_h", ["shape has 100 dimensions; expected at most 64"])),
    Case(name: "npy dimension too large for an integer",
         files: [.bytes("W_h.npy") { MalformedArrays.npy(header: MalformedArrays.npyHeader(shape: "(99999999999999999999999,)")) }],
         outcome: .unreadable(item: "W_h", ["an integer too large"])),
    Case(name: "npy data shorter than its shape",
         files: [.bytes("W_h.npy") { MalformedArrays.npy(header: MalformedArrays.npyHeader(shape: "(3,)"), data: Data(count: 16)) }],
         outcome: .unreadable(item: "W_h", ["header declares shape (3,) (3 entries, 24 bytes) but the file holds 16 bytes of data"])),
  ]

  // MARK: .npz

  static let npzCases: [Case] = [
    Case(name: "npz ZIP64 compressed size 2^63 - 1",
         files: [.bytes("grads.npz") {
           var entry = MalformedArrays.ZipEntry.of("W_h.npy", MalformedArrays.smallNpy)
           entry.zip64 = true
           entry.centralCompressedSize = UInt64(Int.max)
           return MalformedArrays.zip([entry])
         }],
         outcome: .unreadable(item: "W_h", ["grads.npz, member W_h.npy: its 9223372036854775807 bytes of data, from byte 37, run past the end"])),
    Case(name: "npz ZIP64 compressed size 2^64 - 1",
         files: [.bytes("grads.npz") {
           var entry = MalformedArrays.ZipEntry.of("W_h.npy", MalformedArrays.smallNpy)
           entry.zip64 = true
           entry.centralCompressedSize = UInt64.max
           return MalformedArrays.zip([entry])
         }],
         outcome: .unreadable(item: "W_h", ["its 18446744073709551615 bytes of data"])),
    Case(name: "npz ZIP64 local header offset 2^63 - 8",
         files: [.bytes("grads.npz") {
           var entry = MalformedArrays.ZipEntry.of("W_h.npy", MalformedArrays.smallNpy)
           entry.zip64 = true
           entry.centralOffset = UInt64(Int.max - 7)
           return MalformedArrays.zip([entry])
         }],
         outcome: .unreadable(item: "W_h", ["grads.npz, member W_h.npy: its local header at byte 9223372036854775800 is missing"])),
    Case(name: "npz ZIP64 end-record locator at 2^63 - 16",
         files: [.bytes("grads.npz") { MalformedArrays.zip([.of("W_h.npy", MalformedArrays.smallNpy)], tail: .init(recordOffset: UInt64(Int.max - 15))) }],
         outcome: .refused(["grads.npz is not a readable ZIP archive", "the ZIP64 locator points to byte 9223372036854775792, where there is no ZIP64 end record"])),
    Case(name: "npz ZIP64 end-record locator at 2^64 - 1",
         files: [.bytes("grads.npz") { MalformedArrays.zip([.of("W_h.npy", MalformedArrays.smallNpy)], tail: .init(recordOffset: UInt64.max)) }],
         outcome: .refused(["the ZIP64 locator points to byte 18446744073709551615"])),
    Case(name: "npz central directory whose offset + size overflows",
         files: [.bytes("grads.npz") { MalformedArrays.zip([.of("W_h.npy", MalformedArrays.smallNpy)], tail: .init(directorySize: 200, directoryOffset: UInt64(Int.max - 99))) }],
         outcome: .refused(["grads.npz is not a readable ZIP archive", "it is said to take 200 bytes from byte 9223372036854775708, beyond the end of the"])),
    Case(name: "npz central directory of 2^63 - 1 bytes",
         files: [.bytes("grads.npz") { MalformedArrays.zip([.of("W_h.npy", MalformedArrays.smallNpy)], tail: .init(directorySize: UInt64(Int.max), directoryOffset: 0)) }],
         outcome: .refused(["it is said to take 9223372036854775807 bytes from byte 0"])),
    Case(name: "npz directory claiming 2^40 entries",
         files: [.bytes("grads.npz") { MalformedArrays.zip([.of("W_h.npy", MalformedArrays.smallNpy)], tail: .init(entryCount: 1 << 40)) }],
         outcome: .refused(["it is said to hold 1099511627776 entries, more than its"])),
    Case(name: "npz of 1 MB that inflates to 1 GiB of zeros",
         files: [.bytes("grads.npz") { MalformedArrays.zip([MalformedArrays.bombEntry("W_h.npy")]) }],
         outcome: .unreadable(item: "W_h", ["grads.npz, member W_h.npy: it inflates to 1.1 GB, beyond 43.6 KB, the most an answer of this assignment can need"])),
    Case(name: "npz of four members that each inflate to 1 GiB, with room for its 4.2 MB",
         files: [.bytes("grads.npz") { MalformedArrays.zip(["W_h", "b_1", "U", "b_2"].map { MalformedArrays.bombEntry($0 + ".npy") }) }],
         limits: with(limits) { $0.maximumFileBytes = 16 << 20 },
         outcome: .unreadable(item: "b_2", ["member b_2.npy: it inflates to 1.1 GB"])),
    Case(name: "npz of four members that each inflate to 1 GiB: refused unread by its size",
         files: [.bytes("grads.npz") { MalformedArrays.zip(["W_h", "b_1", "U", "b_2"].map { MalformedArrays.bombEntry($0 + ".npy") }) }],
         outcome: .refused(["grads.npz is 4248262 bytes (4.2 MB), more than 4213504 (4.2 MB), the most an answer of this assignment can need; it was not read"])),
    Case(name: "npz of four members that each inflate to 1 GiB, with the default limits",
         files: [.bytes("grads.npz") { MalformedArrays.zip(["W_h", "b_1", "U", "b_2"].map { MalformedArrays.bombEntry($0 + ".npy") }) }],
         limits: .default,
         outcome: .unreadable(item: "U", ["member U.npy: it inflates to 1.1 GB, beyond 33.6 MB"])),
    Case(name: "npz 1 GiB bomb whose directory claims 40 000 bytes: inflating stops there",
         files: [.bytes("grads.npz") { MalformedArrays.zip([MalformedArrays.bombEntry("W_h.npy", declaredSize: 40_000)]) }],
         outcome: .unreadable(item: "W_h", ["member W_h.npy: the deflated data decodes to more than the 40000 bytes the directory gives"])),
    Case(name: "npz 1 GiB bomb read with the default limits (read(at:) of old callers)",
         files: [.bytes("grads.npz") { MalformedArrays.zip([MalformedArrays.bombEntry("W_h.npy")]) }],
         limits: .default,
         outcome: .unreadable(item: "W_h", ["it inflates to 1.1 GB, beyond 33.6 MB, the most a submission of arrays may hold"])),
    Case(name: "npz members together beyond the inflated total",
         files: [.bytes("grads.npz") { MalformedArrays.zip([.of("W_h.npy", MalformedArrays.smallNpy, deflated: true), .of("b_1.npy", MalformedArrays.smallNpy, deflated: true)]) }],
         limits: with(limits) { $0.maximumInflatedBytes = 250 },
         outcome: .unreadable(item: "b_1", ["member b_1.npy: its 160 bytes would bring the inflated members of the submission beyond 250 bytes in all"])),
    Case(name: "npz member whose .npy has more entries than an answer",
         files: [.bytes("grads.npz") { MalformedArrays.zip([.of("W_h.npy", NpyFormat.encode(Tensor(shape: [5000], scalars: [Double](repeating: 0, count: 5000))), deflated: true)]) }],
         outcome: .unreadable(item: "W_h", ["member W_h.npy: the header's shape 5000 has 5000 entries; expected at most 4196"])),
    Case(name: "npz duplicate members",
         files: [.bytes("grads.npz") { MalformedArrays.zip([.of("W_h.npy", MalformedArrays.smallNpy), .of("W_h.npy", MalformedArrays.smallNpy)]) }],
         outcome: .unreadable(item: "W_h", ["the archive holds 2 members named W_h.npy; expected one"])),
    Case(name: "npz member named ../W_h.npy",
         files: [.bytes("grads.npz") { MalformedArrays.zip([.of("../W_h.npy", MalformedArrays.smallNpy), .of("b_1.npy", MalformedArrays.smallNpy)]) }],
         outcome: .unreadable(item: "../W_h", ["its name ../W_h.npy leaves the archive's folder"])),
    Case(name: "npz member with an absolute name",
         files: [.bytes("grads.npz") { MalformedArrays.zip([.of("/tmp/W_h.npy", MalformedArrays.smallNpy)]) }],
         outcome: .unreadable(item: "/tmp/W_h", ["leaves the archive's folder"])),
    Case(name: "npz local header naming another member than the directory",
         files: [.bytes("grads.npz") {
           var entry = MalformedArrays.ZipEntry.of("W_h.npy", MalformedArrays.smallNpy)
           entry.localName = "U_h.npy"
           return MalformedArrays.zip([entry])
         }],
         outcome: .unreadable(item: "W_h", ["its local header names it U_h.npy, so the archive contradicts itself"])),
    Case(name: "npz local header giving another method than the directory",
         files: [.bytes("grads.npz") {
           var entry = MalformedArrays.ZipEntry.of("W_h.npy", MalformedArrays.smallNpy)
           entry.localMethod = 8
           return MalformedArrays.zip([entry])
         }],
         outcome: .unreadable(item: "W_h", ["its local header gives compression method 8 but the central directory 0"])),
    Case(name: "npz stored member whose sizes differ",
         files: [.bytes("grads.npz") {
           var entry = MalformedArrays.ZipEntry.of("W_h.npy", MalformedArrays.smallNpy)
           entry.centralUncompressedSize = 100
           return MalformedArrays.zip([entry])
         }],
         outcome: .unreadable(item: "W_h", ["it is stored uncompressed, yet its sizes differ (160 and 100 bytes)"])),
    Case(name: "npz cut short",
         files: [.bytes("grads.npz") { MalformedArrays.zip([.of("W_h.npy", MalformedArrays.smallNpy)]).prefix(100) }],
         outcome: .refused(["grads.npz is not a readable ZIP archive: its end-of-central-directory record is missing"])),
    Case(name: "npz of more members than arrays an answer may have",
         files: [.bytes("grads.npz") { MalformedArrays.zip((0..<81).map { .of("note\($0).txt", Data()) }) }],
         outcome: .refused(["grads.npz is refused: it holds 81 members; expected at most 80, the most an answer of this assignment can need"])),
  ]

  // MARK: JSON

  static let jsonCases: [Case] = [
    Case(name: "JSON shape whose product overflows",
         files: [.bytes("answers.json") { Data(#"{"dW_h":{"shape":[100000000000000,100000000000000],"data":[]}}"#.utf8) }],
         outcome: .unreadable(item: "dW_h", ["answers.json, key \"dW_h\": dW_h is refused: its shape 100000000000000×100000000000000 has more entries than a 64-bit integer can count"])),
    Case(name: "JSON 16 KB of nested '['",
         files: [.bytes("answers.json") { Data(String(repeating: "[", count: 16_384).utf8) }],
         outcome: .refused(["answers.json is refused: at line 1, column 65, lists or objects are nested 65 deep, more than the 64 levels accepted"])),
    Case(name: "JSON 16 KB of nested '{\"a\":'",
         files: [.bytes("answers.json") { Data(String(repeating: #"{"a":"#, count: 3_300).utf8) }],
         outcome: .refused(["answers.json is refused", "nested 65 deep"])),
    Case(name: "JSON 64 levels of [x, 0]: 2^64 entries by its first entries",
         files: [.bytes("answers.json") { MalformedArrays.binaryNest(levels: 64) }],
         outcome: .unreadable(item: "answers", ["answers.json: answers is refused: its shape 2×2×2×…×2×2 (64 dimensions) has more entries than a 64-bit integer can count"])),
    Case(name: "JSON 40 levels of [x, 0]: an 8 TB reservation before",
         files: [.bytes("answers.json") { MalformedArrays.binaryNest(levels: 40) }],
         outcome: .unreadable(item: "answers", ["has 1099511627776 entries; expected at most 4196 entries"])),
    Case(name: "JSON of 100 MB, refused unread",
         files: [File(name: "answers.json", content: .sparse(100 << 20))],
         outcome: .refused(["answers.json is 104857600 bytes (104.9 MB), more than 4213504 (4.2 MB), the most an answer of this assignment can need; it was not read"])),
    Case(name: "JSON of 100 MB with the default limits",
         files: [File(name: "answers.json", content: .sparse(100 << 20))],
         limits: .default,
         outcome: .refused(["answers.json is 104857600 bytes", "more than 67108864 (67.1 MB), the most a submission of arrays may hold"])),
    Case(name: "JSON of more numbers than the submission may hold",
         files: [.bytes("answers.json") { Data(("[" + String(repeating: "0,", count: 99_999) + "0]").utf8) }],
         outcome: .refused(["answers.json is refused", "the document holds more than 71056 numbers, the most an answer of this assignment can need"])),
    Case(name: "JSON of more items than an answer may have",
         files: [.bytes("answers.json") { Data(("{" + (0..<81).map { "\"x\($0)\": 1" }.joined(separator: ", ") + "}").utf8) }],
         outcome: .refused(["answers.json holds 81 items; expected at most 80"])),
    Case(name: "JSON data shorter than its shape",
         files: [.bytes("answers.json") { Data(#"{"W_h": {"shape": [2, 2], "data": [1, 2, 3]}}"#.utf8) }],
         outcome: .unreadable(item: "W_h", ["W_h declares shape [2, 2] (4 entries) but its data holds 3 numbers"])),
    Case(name: "JSON data longer than its shape",
         files: [.bytes("answers.json") { Data(#"{"W_h": {"shape": [2], "data": [1, 2, 3]}}"#.utf8) }],
         outcome: .unreadable(item: "W_h", ["W_h declares shape [2] (2 entries) but its data holds 3 numbers"])),
    Case(name: "JSON negative dimension",
         files: [.bytes("answers.json") { Data(#"{"W_h": {"shape": [2, -1], "data": []}}"#.utf8) }],
         outcome: .unreadable(item: "W_h", ["W_h has a shape that is a list containing -1; expected a list of non-negative integers"])),
    Case(name: "JSON items beyond the submission's total entries",
         files: [.bytes("answers.json") {
           let item = "[" + String(repeating: "0,", count: 3_999) + "0]"
           return Data(("{" + (0..<17).map { String(format: "\"a%02d\": ", $0) + item }.joined(separator: ", ") + "}").utf8)
         }],
         outcome: .unreadable(item: "a16", ["a16 is refused: its shape 4000 (4000 entries) would bring the submission to 68000 entries, more than 65936 in all"])),
  ]

  // MARK: safetensors

  static let safetensorsCases: [Case] = [
    Case(name: "safetensors header length of 1 GB",
         files: [.bytes("tensors.safetensors") { MalformedArrays.safetensors(header: "{}", declaredLength: 1_000_000_000) }],
         outcome: .refused(["tensors.safetensors is not a readable safetensors file: its header size field says 1000000000 bytes, but only 2 bytes follow it"])),
    Case(name: "safetensors header length 2^64 - 1",
         files: [.bytes("tensors.safetensors") { MalformedArrays.safetensors(header: "{}", declaredLength: .max) }],
         outcome: .refused(["its header size field says 18446744073709551615 bytes"])),
    Case(name: "safetensors overlapping offsets",
         files: [.bytes("tensors.safetensors") {
           MalformedArrays.safetensors(header: #"{"W_h":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},"b_1":{"dtype":"F64","shape":[2],"data_offsets":[8,24]}}"#, dataBytes: 24)
         }],
         outcome: .unreadable(item: "b_1", ["tensors.safetensors, tensor b_1: its bytes 8..<24 overlap those of tensor W_h"])),
    Case(name: "safetensors shape whose product overflows",
         files: [.bytes("tensors.safetensors") { MalformedArrays.safetensors(header: #"{"W_h":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,0]}}"#) }],
         outcome: .unreadable(item: "W_h", ["tensor W_h: its shape 4294967296×4294967296 has more entries than a 64-bit integer can count"])),
    Case(name: "safetensors shape that overflows before a zero",
         files: [.bytes("tensors.safetensors") { MalformedArrays.safetensors(header: #"{"W_h":{"dtype":"F64","shape":[100000000000000,100000000000000,0],"data_offsets":[0,0]}}"#) }],
         outcome: .unreadable(item: "W_h", ["more entries than a 64-bit integer can count"])),
    Case(name: "safetensors tensor beyond the entries of an answer",
         files: [.bytes("tensors.safetensors") { MalformedArrays.safetensors(header: #"{"W_h":{"dtype":"F64","shape":[5000],"data_offsets":[0,40000]}}"#, dataBytes: 40_000) }],
         outcome: .unreadable(item: "W_h", ["its shape 5000 has 5000 entries; expected at most 4196"])),
    Case(name: "safetensors offsets past the data",
         files: [.bytes("tensors.safetensors") { MalformedArrays.safetensors(header: #"{"W_h":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}}"#, dataBytes: 8) }],
         outcome: .unreadable(item: "W_h", ["its data_offsets [0, 16] run past the end of the 8 bytes of data"])),
    Case(name: "safetensors header nested 100 deep",
         files: [.bytes("tensors.safetensors") { MalformedArrays.safetensors(header: String(repeating: "[", count: 100) + String(repeating: "]", count: 100)) }],
         outcome: .refused(["tensors.safetensors is refused: in its header, at line 1, column 65, lists or objects are nested 65 deep"])),
    Case(name: "safetensors header of more tensors than an answer may have",
         files: [.bytes("tensors.safetensors") {
           MalformedArrays.safetensors(header: "{" + (0..<82).map { "\"t\($0)\":{\"dtype\":\"F64\",\"shape\":[0],\"data_offsets\":[0,0]}" }.joined(separator: ",") + "}")
         }],
         outcome: .refused(["tensors.safetensors is refused: its header lists 82 tensors; expected at most 80"])),
  ]

  // MARK: Folders

  static let folderCases: [Case] = [
    Case(name: "folder of more array files than an answer may have",
         files: (0..<81).map { i in .bytes("x\(i).npy") { MalformedArrays.smallNpy } }, folder: true,
         outcome: .refused(["submission/ holds 81 array files; expected at most 80"])),
    Case(name: "folder whose files together pass the byte bound, refused unread",
         files: [File(name: "W_h.npy", content: .sparse(3 << 20)), File(name: "b_1.npy", content: .sparse(3 << 20))], folder: true,
         outcome: .refused(["the array files of submission/ hold 6.3 MB together, more than 4.2 MB"])),
    Case(name: "folder holding a .npy that links to /dev/zero",
         files: [File(name: "W_h.npy", content: .link("/dev/zero")), .bytes("b_1.npy") { MalformedArrays.smallNpy }], folder: true,
         outcome: .fileProblem(["W_h.npy cannot be read: it is not a regular file"])),
    Case(name: "a .npy that links to /dev/zero",
         files: [File(name: "W_h.npy", content: .link("/dev/zero"))],
         outcome: .refused(["W_h.npy cannot be read: it is not a regular file"])),
    Case(name: "folder of arrays beyond the submission's total entries",
         files: (0..<17).map { i in .bytes(String(format: "a%02d.npy", i)) { NpyFormat.encode(Tensor(shape: [4000], scalars: [Double](repeating: 1, count: 4000))) } }, folder: true,
         outcome: .unreadable(item: "a16", ["a16.npy: the header's shape 4000 (4000 entries) would bring the submission to 68000 entries, more than 65936 in all"])),
  ]

  static let cases = npyCases + npzCases + jsonCases + safetensorsCases + folderCases

  static func with(_ limits: ArrayReadLimits, _ change: (inout ArrayReadLimits) -> Void) -> ArrayReadLimits {
    var copy = limits
    change(&copy)
    return copy
  }

  @Test("answered with a sentence in bounded time, every bound enforced before allocation", arguments: cases)
  func answered(_ c: Case) throws {
    let root = try ArrayFixtures.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: root) }
    let folder = c.folder ? root.appendingPathComponent("submission") : root
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for file in c.files {
      let url = folder.appendingPathComponent(file.name)
      switch file.content {
      case .bytes(let make): try make().write(to: url)
      case .sparse(let size):
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: UInt64(size))
        try handle.close()
      case .link(let target): try FileManager.default.createSymbolicLink(atPath: url.path, withDestinationPath: target)
      }
    }
    let target = c.folder || c.files.count != 1 ? folder : folder.appendingPathComponent(c.files[0].name)

    let clock = ContinuousClock()
    let start = clock.now
    let result = Result { () throws(SubmissionReadError) in try ArraySubmissionReader.read(at: target, limits: c.limits) }
    let elapsed = clock.now - start
    // Generous and load-proof: before these bounds some of these cases ran for minutes.
    #expect(elapsed < .seconds(5), "\(c.name) took \(elapsed)")

    switch (c.outcome, result) {
    case (.refused(let parts), .failure(let error)):
      for part in parts { #expect(error.description.contains(part), "\(c.name): \(error.description)") }
    case (.unreadable(let item, let parts), .success(let submission)):
      let problem = try #require(submission.entries[item]?.problem, "\(c.name): \(item) is \(String(describing: submission.entries[item]))")
      for part in parts { #expect(problem.contains(part), "\(c.name): \(problem)") }
      Self.expectWithinLimits(submission, c.limits)
    case (.fileProblem(let parts), .success(let submission)):
      #expect(submission.fileProblems.contains { problem in parts.allSatisfy(problem.contains) }, "\(c.name): \(submission.fileProblems)")
      Self.expectWithinLimits(submission, c.limits)
    case (_, .failure(let error)):
      Issue.record("\(c.name): refused as a whole: \(error.description)")
    case (_, .success(let submission)):
      Issue.record("\(c.name): read, with entries \(submission.entries.mapValues { $0.problem ?? "a tensor" })")
    }
  }

  /// Every tensor read has the entries its shape says, and no more than the limits allow.
  static func expectWithinLimits(_ submission: ArraySubmission, _ limits: ArrayReadLimits, sourceLocation: SourceLocation = #_sourceLocation) {
    var total = 0
    for (name, entry) in submission.entries {
      guard let tensor = entry.tensor else {
        #expect(!(entry.problem ?? "").isEmpty, "\(name) has an empty reason", sourceLocation: sourceLocation)
        continue
      }
      #expect(tensor.scalars.count == tensor.shape.reduce(1, *), "\(name)", sourceLocation: sourceLocation)
      #expect(tensor.scalars.count <= limits.maximumEntriesPerArray, "\(name)", sourceLocation: sourceLocation)
      total += tensor.scalars.count
    }
    #expect(total <= limits.maximumTotalEntries, sourceLocation: sourceLocation)
  }

  @Test("the deflate bomb is what it claims: a stream of about 1 MB for 1 GiB")
  func bombIsReal() throws {
    let bomb = MalformedArrays.bomb
    #expect(bomb.size == 1 << 30)
    #expect(bomb.stream.count < 1_100_000)
    #expect(bomb.stream.count > 1_000_000)
    // Its first 64 KiB inflate to the .npy header and zeros: the stream is well formed there.
    let head = try? RawDeflate.inflate(bomb.stream, expectedSize: 1 << 16)
    #expect(head == nil, "inflating stops after the declared 64 KiB; the stream holds more")
    do {
      _ = try RawDeflate.inflate(bomb.stream, expectedSize: 1 << 16)
    } catch {
      #expect(error.description == "the deflated data decodes to more than the 65536 bytes the directory gives")
    }
  }

  @Test("every valid fixture reads identically with its own assignment's limits", arguments: ArrayFixtures.manifest.valid.keys.sorted())
  func fixturesWithinAssignmentLimits(file: String) throws {
    let expected = try #require(ArrayFixtures.manifest.valid[file])
    let limits = ArrayReadLimits(itemShapes: expected.values.map(\.shape))
    let tight = try ArraySubmissionReader.read(at: ArrayFixtures.url(file), limits: limits)
    let loose = try ArraySubmissionReader.read(at: ArrayFixtures.url(file))
    #expect(Set(tight.entries.keys) == Set(expected.keys))
    for name in expected.keys {
      #expect(ArrayFixtures.identical(tight.entries[name]?.tensor, loose.entries[name]?.tensor), "\(file) \(name)")
      ArrayFixtures.expect(tight.entries[name]?.tensor, matches: expected[name]!, "\(file) \(name)")
    }
  }
}
