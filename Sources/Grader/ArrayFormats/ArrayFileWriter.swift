import Foundation

/// Writes arrays in the format the destination's extension names.
///
/// ```
/// out.npz           np.savez layout (stored, or deflated with .deflated), member <name>.npy
/// out.json          {"<name>": {"shape": […], "dtype": "float64", "data": […]}, …}
/// out.safetensors   F64 / I64 tensors
/// out.npy           exactly one array
/// out/ or out       a folder (created if needed) of <name>.npy
/// ```
///
/// Floating-point tensors are written as 8-byte floats and integer tensors as 8-byte integers.
public enum ArrayFileWriter {
  public static func write(_ arrays: [String: Tensor], to url: URL, npzCompression: NpzFormat.Compression = .stored) throws(ArrayWriteError) {
    let ext = url.pathExtension.lowercased()
    if url.hasDirectoryPath || ext.isEmpty {
      try checkFileNames(arrays)
      do {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
      } catch {
        throw .cannotWrite(path: url.path, reason: SystemErrorText.reason(error))
      }
      for name in arrays.keys.sorted() {
        try save(NpyFormat.encode(arrays[name]!), to: url.appendingPathComponent(name + ".npy"))
      }
      return
    }
    switch ext {
    case "npz":
      try checkFileNames(arrays)
      try save(NpzFormat.encode(arrays, compression: npzCompression), to: url)
    case "json":
      try save(JSONArrayFormat.encode(arrays), to: url)
    case "safetensors":
      try checkSafetensorsNames(arrays)
      try save(SafetensorsFormat.encode(arrays), to: url)
    case "npy":
      guard arrays.count == 1, let tensor = arrays.values.first else {
        throw .oneArrayPerNpy(file: url.lastPathComponent, count: arrays.count)
      }
      try save(NpyFormat.encode(tensor), to: url)
    default:
      throw .unknownExtension(file: url.lastPathComponent)
    }
  }

  private static func checkFileNames(_ arrays: [String: Tensor]) throws(ArrayWriteError) {
    for name in arrays.keys.sorted() {
      if name.isEmpty || name == "." || name == ".." || name.contains("/") || name.contains("\0") || name.contains("\\") {
        throw .invalidName(name, reason: "it cannot be used as a file name (it is empty, '.', '..' or holds a slash)")
      }
    }
  }

  private static func checkSafetensorsNames(_ arrays: [String: Tensor]) throws(ArrayWriteError) {
    if arrays["__metadata__"] != nil {
      throw .invalidName("__metadata__", reason: "safetensors reserves that key for metadata")
    }
  }

  private static func save(_ data: Data, to url: URL) throws(ArrayWriteError) {
    do {
      try data.write(to: url, options: .atomic)
    } catch {
      throw .cannotWrite(path: url.path, reason: SystemErrorText.reason(error))
    }
  }
}

/// Why arrays cannot be written where asked.
public enum ArrayWriteError: Error, Sendable, Equatable, CustomStringConvertible {
  case unknownExtension(file: String)
  case oneArrayPerNpy(file: String, count: Int)
  case invalidName(String, reason: String)
  case cannotWrite(path: String, reason: String)

  public var description: String {
    switch self {
    case .unknownExtension(let file):
      return "\(file) has an extension that is not an array format; expected .npz, .json, .safetensors, .npy or a folder path"
    case let .oneArrayPerNpy(file, count):
      return "\(file) is a .npy file, which holds one array, but there are \(count); write a folder, an .npz, a .json or a .safetensors file instead"
    case let .invalidName(name, reason):
      return "the item name \"\(name)\" cannot be written: \(reason)"
    case let .cannotWrite(path, reason):
      return "\(path) cannot be written: \(reason)"
    }
  }
}
