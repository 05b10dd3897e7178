;; The 8 x 4 micro-kernel of src/cpu/gemm32.ts in WebAssembly with 128-bit
;; SIMD, in float32: four rows of C per instruction, where gemm-kernel.wat
;; (float64) does two.
;;
;; For each of `panels` panels p it computes the 8 x 4 tile
;;   T_p[i][j] = sum_{k < kc} packA[k * 8 + i] * packB[(p * kc + k) * 4 + j]
;; summing k upwards from 0, each product rounded to float32 and then added in
;; float32 (no fused multiply-add in this instruction set): the rounding of
;; PyTorch's and onnxruntime's float32 matrix products, not the reference's
;; double-precision sums. Per k: two loads of A (rows 0-3 and 4-7), four
;; splats of B, eight f32x4.mul and eight f32x4.add, 32 multiply-adds; the
;; eight accumulators stay in registers.
;;
;; Memory (float32, little-endian), written and read by gemm32.ts through views:
;;   bytes      0 ..   8192   packA: 8 x KC values, KC = 256 (an 8 x kc strip of A, k-major)
;;   bytes   8192 .. 532480   packB: KC x NC values, NC = 512 (kc x 4 panels, one after another)
;;   bytes 532480 .. 548864   out:   NC / 4 tiles of 32 values, tile p at 532480 + 128 p,
;;                                   column-major: T_p[i][j] at 532480 + 128 p + 4 (8 j + i)
;; Build: npm run build:wasm (wabt) writes the bytes to gemm32-kernel.wasm.ts.
(module
  (memory (export "memory") 9)
  (func (export "tiles") (param $kc i32) (param $panels i32)
    (local $p i32) (local $k i32) (local $a i32) (local $b i32) (local $o i32)
    (local $a0 v128) (local $a1 v128) (local $bj v128)
    ;; $lj holds T[0..3][j]; $hj holds T[4..7][j].
    (local $l0 v128) (local $l1 v128) (local $l2 v128) (local $l3 v128)
    (local $h0 v128) (local $h1 v128) (local $h2 v128) (local $h3 v128)
    (local.set $b (i32.const 8192))
    (local.set $o (i32.const 532480))
    (block $panelsDone
      (loop $panel
        (br_if $panelsDone (i32.ge_u (local.get $p) (local.get $panels)))
        (local.set $l0 (v128.const i32x4 0 0 0 0))
        (local.set $l1 (v128.const i32x4 0 0 0 0))
        (local.set $l2 (v128.const i32x4 0 0 0 0))
        (local.set $l3 (v128.const i32x4 0 0 0 0))
        (local.set $h0 (v128.const i32x4 0 0 0 0))
        (local.set $h1 (v128.const i32x4 0 0 0 0))
        (local.set $h2 (v128.const i32x4 0 0 0 0))
        (local.set $h3 (v128.const i32x4 0 0 0 0))
        (local.set $a (i32.const 0))
        (local.set $k (local.get $kc))
        (block $kDone
          (loop $step
            (br_if $kDone (i32.eqz (local.get $k)))
            ;; A's column k (eight rows) and B's row k of this panel (four columns), one column at a time.
            (local.set $a0 (v128.load offset=0 (local.get $a)))
            (local.set $a1 (v128.load offset=16 (local.get $a)))
            (local.set $bj (v128.load32_splat offset=0 (local.get $b)))
            (local.set $l0 (f32x4.add (local.get $l0) (f32x4.mul (local.get $a0) (local.get $bj))))
            (local.set $h0 (f32x4.add (local.get $h0) (f32x4.mul (local.get $a1) (local.get $bj))))
            (local.set $bj (v128.load32_splat offset=4 (local.get $b)))
            (local.set $l1 (f32x4.add (local.get $l1) (f32x4.mul (local.get $a0) (local.get $bj))))
            (local.set $h1 (f32x4.add (local.get $h1) (f32x4.mul (local.get $a1) (local.get $bj))))
            (local.set $bj (v128.load32_splat offset=8 (local.get $b)))
            (local.set $l2 (f32x4.add (local.get $l2) (f32x4.mul (local.get $a0) (local.get $bj))))
            (local.set $h2 (f32x4.add (local.get $h2) (f32x4.mul (local.get $a1) (local.get $bj))))
            (local.set $bj (v128.load32_splat offset=12 (local.get $b)))
            (local.set $l3 (f32x4.add (local.get $l3) (f32x4.mul (local.get $a0) (local.get $bj))))
            (local.set $h3 (f32x4.add (local.get $h3) (f32x4.mul (local.get $a1) (local.get $bj))))
            (local.set $a (i32.add (local.get $a) (i32.const 32)))
            (local.set $b (i32.add (local.get $b) (i32.const 16)))
            (local.set $k (i32.sub (local.get $k) (i32.const 1)))
            (br $step)))
        ;; The tile, column-major: column j is $lj then $hj.
        (v128.store offset=0 (local.get $o) (local.get $l0))
        (v128.store offset=16 (local.get $o) (local.get $h0))
        (v128.store offset=32 (local.get $o) (local.get $l1))
        (v128.store offset=48 (local.get $o) (local.get $h1))
        (v128.store offset=64 (local.get $o) (local.get $l2))
        (v128.store offset=80 (local.get $o) (local.get $h2))
        (v128.store offset=96 (local.get $o) (local.get $l3))
        (v128.store offset=112 (local.get $o) (local.get $h3))
        (local.set $o (i32.add (local.get $o) (i32.const 128)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $panel)))))
