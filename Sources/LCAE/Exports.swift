// `import LCAE` gives a user the whole format: the types of the layers below (spec chapters
// 2–15) are part of this module's API, as NIO's umbrella module re-exports NIOCore.
@_exported import LCAEContainer
@_exported import LCAEContext
@_exported import LCAEEntropy
@_exported import LCAEModel
@_exported import LCAENumPy
@_exported import LCAEPNG
@_exported import LCAEREC
@_exported import LCAESupport
