import Foundation
import Testing

@testable import Grader

@Suite("ArraySubmissionReader")
struct ArraySubmissionTests {
  @Test("every valid fixture, file or folder, reads as the manifest says", arguments: ArrayFixtures.manifest.valid.keys.sorted())
  func readsFixture(path: String) throws {
    let submission = try ArraySubmissionReader.read(at: ArrayFixtures.url(path))
    let expected = try #require(ArrayFixtures.manifest.valid[path])
    #expect(Set(submission.entries.keys) == Set(expected.keys))
    for (name, want) in expected {
      ArrayFixtures.expect(submission.entries[name]?.tensor, matches: want, "\(path) \(name)")
    }
  }

  @Test("every fixture with bad items reads its good items and names each bad one", arguments: ArrayFixtures.manifest.item_errors.keys.sorted())
  func readsItemErrors(path: String) throws {
    let submission = try ArraySubmissionReader.read(at: ArrayFixtures.url(path))
    let expected = try #require(ArrayFixtures.manifest.item_errors[path])
    #expect(Set(submission.entries.keys) == Set(expected.readable.keys).union(expected.unreadable))
    for (name, want) in expected.readable {
      ArrayFixtures.expect(submission.entries[name]?.tensor, matches: want, "\(path) \(name)")
    }
    for name in expected.unreadable {
      let problem = try #require(submission.entries[name]?.problem, "\(path) \(name) should be unreadable")
      let file = path.split(separator: "/").last.map(String.init)!
      // A problem names the file it is in (inside a folder: the file in the folder).
      #expect(problem.hasPrefix(file) || problem.hasPrefix(name + ".npy"), "\(problem)")
    }
  }

  @Test("every fixture that cannot be read at all throws", arguments: ArrayFixtures.manifest.submission_errors)
  func throwsForSubmissionErrors(path: String) {
    #expect(throws: SubmissionReadError.self) { try ArraySubmissionReader.read(at: ArrayFixtures.url(path)) }
  }

  @Test("per-item messages name the file, the member and the problem")
  func itemMessages() throws {
    let single = try ArraySubmissionReader.read(at: ArrayFixtures.url("bad/dW_h.npy"))
    #expect(single.entries["dW_h"]?.problem == "dW_h.npy: header declares shape (5, 5) (25 entries, 200 bytes) but the file holds 96 bytes of data")
    let complex = try ArraySubmissionReader.read(at: ArrayFixtures.url("bad/complex.npy"))
    #expect(complex.entries["complex"]?.problem == "complex.npy: unsupported dtype '<c16' (complex); expected f4, f8, i4 or i8")
    let magic = try ArraySubmissionReader.read(at: ArrayFixtures.url("bad/bad_magic.npy"))
    #expect(magic.entries["bad_magic"]?.problem?.hasPrefix("bad_magic.npy: not a .npy file: magic bytes missing") == true)
    let npz = try ArraySubmissionReader.read(at: ArrayFixtures.url("bad/members.npz"))
    #expect(npz.entries["U"]?.problem == "members.npz, member U.npy: header declares shape (3, 5) (15 entries, 120 bytes) but the file holds 112 bytes of data")
    #expect(npz.origins["W_h"] == "members.npz, member W_h.npy")
    let json = try ArraySubmissionReader.read(at: ArrayFixtures.url("bad/items.json"))
    #expect(json.entries["ragged"]?.problem == "items.json, key \"ragged\": ragged is a ragged list at depth 1: ragged[1] has 2 entries but ragged[0] has 3; expected a rectangular nested list")
    let folder = try ArraySubmissionReader.read(at: ArrayFixtures.url("folder_corrupt"))
    #expect(folder.entries["b_1"]?.problem == "b_1.npy: header declares shape (5,) (5 entries, 20 bytes) but the file holds 14 bytes of data")
    let tensors = try ArraySubmissionReader.read(at: ArrayFixtures.url("bad/tensors.safetensors"))
    #expect(tensors.entries["past_end"]?.problem == "tensors.safetensors, tensor past_end: its data_offsets [32, 4096] run past the end of the 80 bytes of data")
  }

  @Test("a mixed folder reads .npy, .json and .npz files and lists what it skipped")
  func mixedFolder() throws {
    let submission = try ArraySubmissionReader.read(at: ArrayFixtures.url("folder_mixed"))
    #expect(submission.origins == ["W_h": "W_h.npy", "b_1": "b_1.json", "U": "rest.npz, member U.npy", "loss": "rest.npz, member loss.npy"])
    #expect(submission.ignored == ["README.txt"])
    #expect(submission.fileProblems.isEmpty)
  }

  struct WholeCase: Sendable, CustomStringConvertible {
    var path: String
    var message: String
    var description: String { path }
  }

  @Test("whole-submission errors are sentences naming the file and what was expected", arguments: [
    WholeCase(path: "bad/not_json.json", message: "not_json.json is not valid JSON: unexpected character ',' where a value was expected at line 4, column 16; expected an object mapping item ids to arrays"),
    WholeCase(path: "bad/string.json", message: "string.json holds a string (\"dW_h\"); expected an object mapping item ids to arrays"),
    WholeCase(path: "bad/truncated.npz", message: "truncated.npz is not a readable ZIP archive: its end-of-central-directory record is missing, so it is not a ZIP archive or it was cut short; expected an archive written by np.savez or np.savez_compressed"),
    WholeCase(path: "bad/header_size.safetensors", message: "header_size.safetensors is not a readable safetensors file: its header size field says 1099511627776 bytes, but only 2 bytes follow it; expected an 8-byte header size, a JSON header and the tensor data"),
    WholeCase(path: "bad/header_text.safetensors", message: "header_text.safetensors is not a readable safetensors file: its header is not valid JSON: unexpected character 'o' where a key in double quotes was expected at line 1, column 2; expected an 8-byte header size, a JSON header and the tensor data"),
    WholeCase(path: "folder_mixed/README.txt", message: "README.txt has the extension .txt, which is not an array format; expected a .json, .npz, .safetensors or .npy file, or a folder of <item>.npy and <item>.json files"),
  ])
  func wholeSubmission(_ item: WholeCase) {
    do {
      let submission = try ArraySubmissionReader.read(at: ArrayFixtures.url(item.path))
      Issue.record("read \(submission.entries.count) items, expected an error")
    } catch {
      #expect(error.description == item.message)
    }
  }

  @Test("a missing path, an empty folder and a folder of unreadable archives throw")
  func folderErrors() throws {
    let missing = ArrayFixtures.url("no/such/submission.npz")
    #expect(throws: SubmissionReadError.notFound(path: missing.path)) { try ArraySubmissionReader.read(at: missing) }

    let folder = try ArrayFixtures.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    try Data("notes".utf8).write(to: folder.appendingPathComponent("notes.md"))
    try Data().write(to: folder.appendingPathComponent(".DS_Store"))
    do {
      _ = try ArraySubmissionReader.read(at: folder)
      Issue.record("expected an error for a folder without array files")
    } catch {
      #expect(error == .noArrayFiles(folder: folder.lastPathComponent + "/", otherFiles: ["notes.md"]))
      #expect(error.description == "\(folder.lastPathComponent)/ holds no array files (it holds only notes.md); expected a .json, .npz, .safetensors or .npy file, or a folder of <item>.npy and <item>.json files")
    }

    try Data([1, 2, 3]).write(to: folder.appendingPathComponent("grads.npz"))
    do {
      _ = try ArraySubmissionReader.read(at: folder)
      Issue.record("expected an error for a folder whose only archive is unreadable")
    } catch {
      #expect(error.description.hasPrefix("no file in \(folder.lastPathComponent)/ can be read: grads.npz is not a readable ZIP archive"))
    }

    // Beside a readable file, the broken archive is a file problem and the rest is read.
    try NpyFormat.encode(Tensor(shape: [2], scalars: [1, 2])).write(to: folder.appendingPathComponent("b_1.npy"))
    let partial = try ArraySubmissionReader.read(at: folder)
    #expect(partial.entries["b_1"]?.tensor == Tensor(shape: [2], scalars: [1, 2]))
    #expect(partial.fileProblems.count == 1)
    #expect(partial.ignored == ["notes.md"])
  }

  @Test("an item given in two files of a folder is unreadable and names both")
  func duplicates() throws {
    let folder = try ArrayFixtures.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    try NpyFormat.encode(Tensor(shape: [1], scalars: [1])).write(to: folder.appendingPathComponent("W_h.npy"))
    try Data(#"{"W_h": [1], "b_1": [2]}"#.utf8).write(to: folder.appendingPathComponent("rest.json"))
    let submission = try ArraySubmissionReader.read(at: folder)
    #expect(submission.entries["W_h"]?.problem == "W_h is given twice, in W_h.npy and in rest.json, key \"W_h\"; keep one")
    #expect(submission.entries["b_1"]?.tensor == Tensor(shape: [1], scalars: [2], dtype: .float64))
  }
}
