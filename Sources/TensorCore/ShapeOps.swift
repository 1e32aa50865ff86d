// Shape ops that move data: concat, split / chunk, narrow / select, repeat,
// repeat_interleave, expand, and view-like helpers (squeeze / unsqueeze / flatten /
// unflatten, which only change the shape). Permute and transpose live in Permute.swift,
// padding in Pad.swift.
//
// Most ops here view the tensor as [outer, axis, inner] (inner = product of the dims after
// the axis) and copy contiguous runs of `n · inner` elements.

extension Tensor {
    /// `(outer, size, inner)`: the products of the dims before, at and after `axis`.
    func splitAround(_ axis: Int) -> (outer: Int, size: Int, inner: Int) {
        (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
    }

    // MARK: Views (no data movement)

    /// Inserts a dimension of size 1 at `axis` (`-1` appends).
    public func unsqueezed(axis: Int) -> Tensor {
        let a = axis < 0 ? axis + rank + 1 : axis
        precondition(a >= 0 && a <= rank, "unsqueeze axis \(axis) out of range for \(shape)")
        var s = shape
        s.insert(1, at: a)
        return reshaped(s)
    }

    /// Removes the dimension at `axis`, which must have size 1.
    public func squeezed(axis: Int) -> Tensor {
        let a = self.axis(axis)
        precondition(shape[a] == 1, "squeeze axis \(axis) of \(shape) has size \(shape[a])")
        var s = shape
        s.remove(at: a)
        return reshaped(s)
    }

    /// Merges dims `start...end` (inclusive, negative allowed) into one (torch `flatten`).
    public func flattened(from start: Int = 0, to end: Int = -1) -> Tensor {
        if rank == 0 { return reshaped([1]) }
        let a = axis(start)
        let b = axis(end)
        precondition(a <= b, "flatten(\(start), \(end)) on \(shape)")
        let merged = shape[a...b].reduce(1, *)
        return reshaped(Array(shape[..<a]) + [merged] + Array(shape[(b + 1)...]))
    }

    /// Splits dim `axis` into `sizes` (one may be -1; torch `unflatten`).
    public func unflattened(axis: Int, sizes: [Int]) -> Tensor {
        let a = self.axis(axis)
        var resolved = sizes
        if let k = sizes.firstIndex(of: -1) {
            let known = sizes.enumerated().filter { $0.offset != k }.map(\.element).reduce(1, *)
            precondition(known > 0 && shape[a] % known == 0, "unflatten \(shape) axis \(axis) into \(sizes)")
            resolved[k] = shape[a] / known
        }
        precondition(resolved.reduce(1, *) == shape[a], "unflatten \(shape) axis \(axis) into \(sizes)")
        return reshaped(Array(shape[..<a]) + resolved + Array(shape[(a + 1)...]))
    }

    // MARK: Concat / split

    /// Concatenation along `axis`; all other dims must match (torch `cat`).
    public static func concatenate(_ tensors: [Tensor], axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concatenate of no tensors")
        let first = tensors[0]
        let a = first.axis(axis)
        for t in tensors {
            precondition(t.rank == first.rank && t.shape[..<a] == first.shape[..<a]
                         && t.shape[(a + 1)...] == first.shape[(a + 1)...],
                         "concatenate along \(axis): \(t.shape) vs \(first.shape)")
        }
        let (outer, _, inner) = first.splitAround(a)
        let total = tensors.reduce(0) { $0 + $1.shape[a] }
        var outShape = first.shape
        outShape[a] = total
        let outRow = total * inner
        return Tensor(shape: outShape) { out in
            var offset = 0
            for t in tensors {
                let run = t.shape[a] * inner
                if run > 0 {
                    t.data.withUnsafeBufferPointer { src in
                        let off = offset
                        Parallel.forEach(outer, grain: max(1, 32_768 / run)) { range in
                            for o in range {
                                (out.baseAddress! + o * outRow + off)
                                    .update(from: src.baseAddress! + o * run, count: run)
                            }
                        }
                    }
                }
                offset += run
            }
        }
    }

    /// The slice `start ..< start + length` along `axis` (torch `narrow`, copied).
    public func narrowed(axis: Int, start: Int, length: Int) -> Tensor {
        let a = self.axis(axis)
        precondition(start >= 0 && length >= 0 && start + length <= shape[a],
                     "narrow axis \(axis) [\(start), \(start + length)) out of range for \(shape)")
        let (outer, size, inner) = splitAround(a)
        var outShape = shape
        outShape[a] = length
        let run = length * inner
        if run == 0 || outer == 0 { return Tensor(zeros: outShape) }
        return Tensor(shape: outShape) { out in
            data.withUnsafeBufferPointer { src in
                Parallel.forEach(outer, grain: max(1, 32_768 / run)) { range in
                    for o in range {
                        (out.baseAddress! + o * run)
                            .update(from: src.baseAddress! + (o * size + start) * inner, count: run)
                    }
                }
            }
        }
    }

    /// The slice `range` along `axis` (copied).
    public func sliced(axis: Int, _ range: Range<Int>) -> Tensor {
        narrowed(axis: axis, start: range.lowerBound, length: range.count)
    }

    /// Index `index` of `axis`, with that dimension removed (torch `x.select(axis, index)`).
    public func selecting(axis: Int, index: Int) -> Tensor {
        let a = self.axis(axis)
        return narrowed(axis: a, start: index, length: 1).squeezed(axis: a)
    }

    /// Pieces of the given sizes along `axis` (torch `split` with a list of sizes).
    public func split(sizes: [Int], axis: Int) -> [Tensor] {
        let a = self.axis(axis)
        precondition(sizes.reduce(0, +) == shape[a], "split sizes \(sizes) do not sum to dim \(shape[a]) of \(shape)")
        var start = 0
        return sizes.map { n in
            defer { start += n }
            return narrowed(axis: a, start: start, length: n)
        }
    }

    /// `chunks` pieces along `axis` with torch `chunk` semantics: each of size
    /// ⌈n / chunks⌉ except the last, and fewer pieces if that size leaves none over.
    public func chunked(_ chunks: Int, axis: Int) -> [Tensor] {
        let a = self.axis(axis)
        precondition(chunks > 0, "chunk count must be positive")
        let n = shape[a]
        let size = Swift.max(1, (n + chunks - 1) / chunks)
        var sizes: [Int] = []
        var left = n
        while left > 0 { sizes.append(Swift.min(size, left)); left -= size }
        if sizes.isEmpty { sizes = [0] }
        return split(sizes: sizes, axis: a)
    }

    // MARK: Repeat

    /// The tensor tiled `times` along `axis`: `[a, b] → [a, b, a, b]` (torch `repeat`
    /// with `times` at that axis and 1 elsewhere).
    public func repeated(_ times: Int, axis: Int) -> Tensor {
        precondition(times >= 0, "repeat count \(times)")
        return Tensor.concatenate([Tensor](repeating: self, count: Swift.max(1, times)), axis: axis)
            .narrowed(axis: axis, start: 0, length: shape[self.axis(axis)] * times)
    }

    /// Each index along `axis` repeated `times` in place: `[a, b] → [a, a, b, b]`
    /// (torch `repeat_interleave(times, dim: axis)`; e.g. per-frame text repetition with
    /// `axis: 0` on `[B, L, D]` gives `[B·F, L, D]`).
    public func repeatedInterleaved(_ times: Int, axis: Int) -> Tensor {
        let a = self.axis(axis)
        precondition(times >= 0, "repeat_interleave count \(times)")
        let (outer, size, inner) = splitAround(a)
        var outShape = shape
        outShape[a] = size * times
        if inner == 0 || outer == 0 || size * times == 0 { return Tensor(zeros: outShape) }
        return Tensor(shape: outShape) { out in
            data.withUnsafeBufferPointer { src in
                Parallel.forEach(outer * size, grain: max(1, 32_768 / (inner * times))) { range in
                    for row in range {
                        let s = src.baseAddress! + row * inner
                        for r in 0..<times {
                            (out.baseAddress! + (row * times + r) * inner).update(from: s, count: inner)
                        }
                    }
                }
            }
        }
    }

    /// The tensor broadcast to `newShape` and materialised (torch `expand(...).contiguous()`).
    /// Throws `TensorShapeError` when `shape` does not broadcast to `newShape`.
    public func expanded(to newShape: [Int]) throws(TensorShapeError) -> Tensor {
        guard Tensor.broadcastShape(shape, newShape) == newShape else {
            throw TensorShapeError(operation: "expanded(to:)", shapes: [shape, newShape],
                                   expected: "a target shape the tensor broadcasts to")
        }
        return try self + Tensor(zeros: newShape)
    }
}
