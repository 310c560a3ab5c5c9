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
///
/// Reading is bounded by `ArrayReadLimits`: the member count, each member's inflated size as the
/// directory gives it and the inflated total of the submission are checked before inflating,
/// inflating stops as soon as the output passes the size declared, and each `.npy` inside is
/// read with the same limits. A member whose name leaves the archive (`../W_h.npy`) is unreadable.
public enum NpzFormat {
  public enum Compression: Sendable {
    /// Members stored as they are, like `np.savez`.
    case stored
    /// Members deflated by zlib, like `np.savez_compressed`.
    case deflated
  }

  /// Reads an `.npz` file held in memory.
  public static func read(_ data: Data, limits: ArrayReadLimits = .default) throws(NpzFormatError) -> ArrayCollection {
    var budget = ArrayReadBudget(limits)
    return try read(data, budget: &budget)
  }

  /// Reads an `.npz` file, charging each member's inflated size and entries to `budget` before
  /// inflating or decoding it.
  static func read(_ data: Data, budget: inout ArrayReadBudget) throws(NpzFormatError) -> ArrayCollection {
    let archive: ZipArchive
    do {
      archive = try ZipArchive(data)
    } catch {
      throw NpzFormatError(reason: error.description)
    }
    let limits = budget.limits
    guard archive.members.count <= limits.maximumArrays else {
      throw NpzFormatError(reason: "it holds \(archive.members.count) members; expected at most \(limits.maximumArrays), \(limits.rationale)", isLimit: true)
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
      collection.items.append(ArrayItem(name: name, location: location, entry: entry(of: member, in: archive, budget: &budget)))
    }
    return collection
  }

  /// One member read as a `.npy` file, or why it cannot be.
  private static func entry(of member: ZipArchive.Member, in archive: ZipArchive, budget: inout ArrayReadBudget) -> ArrayEntry {
    if let problem = unsafeName(member.name) { return .unreadable(problem) }
    do {
      _ = try archive.dataRange(of: member)
      if let refusal = budget.admitMember(bytes: member.uncompressedSize) { return .unreadable(refusal) }
      let contents = try archive.contents(of: member)
      do {
        return .tensor(try NpyFormat.read(contents, budget: &budget))
      } catch {
        return .unreadable(error.description)
      }
    } catch {
      if case .badMember(_, let reason) = error { return .unreadable(reason) }
      return .unreadable(error.description)
    }
  }

  /// Why a member name cannot name an item: a path that leaves the archive's folder (a `..`
  /// component or a leading `/`), a backslash or a NUL; nil for a plain name.
  static func unsafeName(_ name: String) -> String? {
    let components = name.split(separator: "/", omittingEmptySubsequences: false)
    if name.hasPrefix("/") || components.contains("..") {
      return "its name \(name) leaves the archive's folder (an absolute path or a '..' component); expected a name such as W_h.npy"
    }
    if name.contains("\\") || name.contains("\0") {
      return "its name \(ArrayJSON.quote(name)) holds a backslash or a NUL; expected a name such as W_h.npy"
    }
    return nil
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
  /// The archive may be sound but passes a bound of `ArrayReadLimits` (e.g. too many members).
  public var isLimit = false

  public init(reason: String, isLimit: Bool = false) {
    self.reason = reason
    self.isLimit = isLimit
  }

  public var description: String { sentence(about: "it") }

  /// The sentence with `subject` (a file name, or "it") as its subject.
  func sentence(about subject: String) -> String {
    isLimit
      ? "\(subject) is refused: \(reason)"
      : "\(subject) is not a readable ZIP archive: \(reason); expected an archive written by np.savez or np.savez_compressed"
  }
}
