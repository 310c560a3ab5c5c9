import Foundation

/// NumPy's `.npz` file: a ZIP archive with one `.npy` member per array.
///
/// ```
/// np.savez(f, W_h=…, b_1=…)             members W_h.npy, b_1.npy, stored     (method 0)
/// np.savez_compressed(f, W_h=…, b_1=…)  members W_h.npy, b_1.npy, deflated   (method 8)
/// np.savez(f, a, b)                     members arr_0.npy, arr_1.npy
/// ```
///
/// Member `name.npy` is item `name` (a member in a folder keeps its path, `grads/W_h.npy` →
/// `grads/W_h`, as `np.load` names it). Members that are not `.npy` files are skipped and
/// listed in `ignored`. A member that cannot be read — bad CRC-32, corrupt deflate stream,
/// malformed `.npy` — is unreadable on its own; only a damaged archive directory fails the file.
public enum NpzFormat {
  public enum Compression: Sendable {
    /// Members stored as they are, like `np.savez`.
    case stored
    /// Members deflated by zlib, like `np.savez_compressed`.
    case deflated
  }

  /// Reads an `.npz` file held in memory.
  public static func read(_ data: Data) throws(NpzFormatError) -> ArrayCollection {
    let archive: ZipArchive
    do {
      archive = try ZipArchive(data)
    } catch {
      throw NpzFormatError(reason: error.description)
    }
    var collection = ArrayCollection()
    var counts: [String: Int] = [:]
    for member in archive.members where member.name.hasSuffix(".npy") { counts[String(member.name.dropLast(4)), default: 0] += 1 }
    for member in archive.members {
      guard member.name.hasSuffix(".npy"), member.name.count > 4 else {
        if !member.isDirectory { collection.ignored.append(member.name) }
        continue
      }
      let name = String(member.name.dropLast(4))
      let location = "member \(member.name)"
      if counts[name]! > 1 {
        if collection[name] == nil {
          collection.items.append(ArrayItem(name: name, location: location, entry: .unreadable("the archive holds \(counts[name]!) members named \(member.name); expected one")))
        }
        continue
      }
      let entry: ArrayEntry
      do {
        let contents = try archive.contents(of: member)
        entry = .tensor(try NpyFormat.read(contents))
      } catch let failure as ZipArchive.Failure {
        if case .badMember(_, let reason) = failure { entry = .unreadable(reason) } else { entry = .unreadable(failure.description) }
      } catch {
        entry = .unreadable(String(describing: error))
      }
      collection.items.append(ArrayItem(name: name, location: location, entry: entry))
    }
    return collection
  }

  /// The `.npz` bytes of `arrays`, members `name.npy` in name order, each `.npy` as
  /// `NpyFormat.encode` writes it.
  public static func encode(_ arrays: [String: Tensor], compression: Compression = .stored) -> Data {
    var writer = ZipArchiveWriter()
    for name in arrays.keys.sorted() {
      writer.add(name: name + ".npy", contents: NpyFormat.encode(arrays[name]!), method: compression == .stored ? .stored : .deflated)
    }
    return writer.finish()
  }
}

/// Why an `.npz` file cannot be read at all: its ZIP directory is missing or damaged.
public struct NpzFormatError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What is wrong with the archive, e.g. "its end-of-central-directory record is missing, so it
  /// is not a ZIP archive or it was cut short".
  public var reason: String

  public var description: String { sentence(about: "it") }

  /// The sentence with `subject` (a file name, or "it") as its subject.
  func sentence(about subject: String) -> String {
    "\(subject) is not a readable ZIP archive: \(reason); expected an archive written by np.savez or np.savez_compressed"
  }
}
