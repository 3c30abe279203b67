@_exported import struct DF11Kit.SplitMix64
import EntropyCoding
import Foundation

/// bf16 words of normal(0, sigma) weights, rounded to nearest even: what real checkpoints hold.
public func gaussianBF16(count: Int, sigma: Float, rng: inout SplitMix64) -> [UInt16] {
    (0..<count).map { _ in
        let u1 = max(Float.leastNonzeroMagnitude, Float(rng.next() >> 40) / Float(1 << 24))
        let u2 = Float(rng.next() >> 40) / Float(1 << 24)
        let x = sigma * (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
        let bits = x.bitPattern
        return UInt16((bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
    }
}

/// Roughly normal(0, sigma) bf16 weights (Box–Muller in Double, truncated to bf16).
public func normalWords(count: Int, sigma: Double, rng: inout SplitMix64) -> [UInt16] {
    (0..<count).map { _ in
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &rng)
        let u2 = Double.random(in: 0..<1, using: &rng)
        let x = Float(sigma * (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
        return UInt16(truncatingIfNeeded: x.bitPattern >> 16)
    }
}

/// Random bf16 words whose exponents are drawn from `alphabet`, with random sign-mantissa bytes.
public func randomWords(count: Int, exponents alphabet: [UInt8], rng: inout SplitMix64) -> [UInt16] {
    (0..<count).map { _ in
        BF16.word(exponent: alphabet.randomElement(using: &rng)!, signMantissa: UInt8.random(in: 0...255, using: &rng))
    }
}

/// The little-endian bytes of bf16 words, as a safetensors data section holds them.
public func bytes(of words: [UInt16]) -> [UInt8] { words.withUnsafeBytes { Array($0) } }
