;; The 4 x 4 micro-kernel of src/cpu/gemm.ts in WebAssembly with 128-bit SIMD:
;; the same multiply-adds, in the same order, two rows of C per instruction.
;;
;; For each of `panels` panels p it computes the 4 x 4 tile
;;   T_p[i][j] = sum_{k < kc} packA[k * 4 + i] * packB[(p * kc + k) * 4 + j]
;; summing k upwards from 0, each product rounded to float64 and then added,
;; exactly as the JavaScript kernel does: WebAssembly has no fused multiply-add
;; in this instruction set, so the results are bit for bit those of the
;; JavaScript loop (spec/cpu/gemm.spec.ts checks it). What it buys is width:
;; one f64x2.mul and one f64x2.add do the work of two multiply-adds, and the
;; eight accumulators stay in registers.
;;
;; Memory (float64, little-endian), written and read by gemm.ts through views:
;;   bytes      0 ..   8192   packA: 4 x KC values, KC = 256 (a 4 x kc strip of A, k-major)
;;   bytes   8192 .. 532480   packB: KC x NC values, NC = 256 (kc x 4 panels, one after another)
;;   bytes 532480 .. 540672   out:   NC / 4 tiles of 16 values, tile p at 532480 + 128 p,
;;                                   column-major: T_p[i][j] at 532480 + 128 p + 8 (4 j + i)
;; Build: npm run build:wasm (wabt) writes the bytes to gemm-kernel.wasm.ts.
(module
  (memory (export "memory") 9)
  (func (export "tiles") (param $kc i32) (param $panels i32)
    (local $p i32) (local $k i32) (local $a i32) (local $b i32) (local $o i32)
    (local $a01 v128) (local $a23 v128) (local $bj v128)
    ;; $lj holds T[0][j], T[1][j]; $hj holds T[2][j], T[3][j].
    (local $l0 v128) (local $l1 v128) (local $l2 v128) (local $l3 v128)
    (local $h0 v128) (local $h1 v128) (local $h2 v128) (local $h3 v128)
    (local.set $b (i32.const 8192))
    (local.set $o (i32.const 532480))
    (block $panelsDone
      (loop $panel
        (br_if $panelsDone (i32.ge_u (local.get $p) (local.get $panels)))
        (local.set $l0 (v128.const i64x2 0 0))
        (local.set $l1 (v128.const i64x2 0 0))
        (local.set $l2 (v128.const i64x2 0 0))
        (local.set $l3 (v128.const i64x2 0 0))
        (local.set $h0 (v128.const i64x2 0 0))
        (local.set $h1 (v128.const i64x2 0 0))
        (local.set $h2 (v128.const i64x2 0 0))
        (local.set $h3 (v128.const i64x2 0 0))
        (local.set $a (i32.const 0))
        (local.set $k (local.get $kc))
        (block $kDone
          (loop $step
            (br_if $kDone (i32.eqz (local.get $k)))
            ;; A's column k (four rows) and B's row k of this panel (four columns), one column at a time.
            (local.set $a01 (v128.load offset=0 (local.get $a)))
            (local.set $a23 (v128.load offset=16 (local.get $a)))
            (local.set $bj (v128.load64_splat offset=0 (local.get $b)))
            (local.set $l0 (f64x2.add (local.get $l0) (f64x2.mul (local.get $a01) (local.get $bj))))
            (local.set $h0 (f64x2.add (local.get $h0) (f64x2.mul (local.get $a23) (local.get $bj))))
            (local.set $bj (v128.load64_splat offset=8 (local.get $b)))
            (local.set $l1 (f64x2.add (local.get $l1) (f64x2.mul (local.get $a01) (local.get $bj))))
            (local.set $h1 (f64x2.add (local.get $h1) (f64x2.mul (local.get $a23) (local.get $bj))))
            (local.set $bj (v128.load64_splat offset=16 (local.get $b)))
            (local.set $l2 (f64x2.add (local.get $l2) (f64x2.mul (local.get $a01) (local.get $bj))))
            (local.set $h2 (f64x2.add (local.get $h2) (f64x2.mul (local.get $a23) (local.get $bj))))
            (local.set $bj (v128.load64_splat offset=24 (local.get $b)))
            (local.set $l3 (f64x2.add (local.get $l3) (f64x2.mul (local.get $a01) (local.get $bj))))
            (local.set $h3 (f64x2.add (local.get $h3) (f64x2.mul (local.get $a23) (local.get $bj))))
            (local.set $a (i32.add (local.get $a) (i32.const 32)))
            (local.set $b (i32.add (local.get $b) (i32.const 32)))
            (local.set $k (i32.sub (local.get $k) (i32.const 1)))
            (br $step)))
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
