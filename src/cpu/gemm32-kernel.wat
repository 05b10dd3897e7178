;; The micro-kernels of src/cpu/gemm32.ts in WebAssembly with 128-bit SIMD,
;; in float32.
;;
;; `tiles`: for each of `panels` panels p (four columns of B) it computes the 8 x 4 tile
;;   T_p[i][j] = sum_{k < kc} packA[k * 8 + i] * packB[k][4 p + j]
;; (then stores it in `out` when ldc = 0, else adds it, in float32, to the block of C that
;; gemm32.ts copied into cBlock: rows ldc bytes apart, columns 4 p .. 4 p + 3),
;; summing k upwards from 0, each product rounded to float32 and then added in
;; float32 (no fused multiply-add in this instruction set): the rounding of
;; PyTorch's and onnxruntime's float32 matrix products, not the reference's
;; double-precision sums. A is packed k-major (eight rows per k). B's row k
;; of panel p is at packB + step p + ldb k: a row-major block (step 16, ldb
;; the row's bytes) where B's rows are contiguous, so that gemm32.ts fills it
;; with a memory copy per row; panels one after another (step 16 kc, ldb 16)
;; where B's columns are, as gathering them writes in order. Per k: two loads of A (rows 0-3 and 4-7),
;; four splats of B, eight f32x4.mul and eight f32x4.add, 32 multiply-adds;
;; the eight accumulators stay in registers. (Measured: splatting A's eight
;; rows against one load of B's row instead ran at 23 GFLOP/s against 26.)
;;
;; Memory (float32, little-endian), written and read by gemm32.ts through views:
;;   bytes      0 ..   8192   packA: 8 x KC values, KC = 256 (an 8 x kc strip of A, k-major: A(i, k) at 32 k + 4 i)
;;   bytes   8192 .. 532480   packB: a kc x nc block of B, KC x 512 values at most (nc <= NC = 504): row-major
;;                                   (row k at 8192 + ldb k; gemm32.ts picks ldb so that the kernel's walk down a
;;                                   panel does not fall into a few cache sets) or as kc x 4 panels
;;   bytes 532480 .. 548864   out:   up to 128 tiles of 32 values, tile p at 532480 + 128 p,
;;                                   column-major: T_p[i][j] at 532480 + 128 p + 4 (8 j + i)
;;   bytes 548864 .. 794624   dotsA: up to 16 rows of KD = 3840 values, row-major (row i at 548864 + 4 KD i)
;;   bytes 794624 .. 917504   dotsB: up to 8 rows of KD values, row-major (row j at 794624 + 4 KD j)
;;   bytes 917504 .. 918016   dotsOut: 16 x 8 values, row-major (i, j at 917504 + 4 (8 i + j))
;;   bytes 918528 .. 934912   cBlock: 8 rows of C's block (row i at 918528 + ldc i, ldc <= 2048 bytes), which
;;                                   `tiles` adds its tiles into when ldc > 0 (else it stores them in out)
;;
;; `dots` serves the products with few rows of A (the fully connected layers
;; at batch 1 to 15): C(i, j) = sum_k A(i, k) B(j, k), both operands read along
;; k in their own layout (a batch of inputs against rows of a weight matrix),
;; copied a block at a time, so nothing is packed. For rows i < m (a multiple
;; of 4) and j < r (a multiple of 2) and k < kd (a multiple of 4):
;;   out[i][j] = (s0 + s1) + (s2 + s3),   s_l = sum_{k = l mod 4, upwards} A[i][k] * B[j][k]
;; each product rounded to float32 and added in float32 in its lane. Per four
;; k: four loads of A (rows i .. i + 3) and two of B (rows j, j + 1), eight
;; f32x4.mul and eight f32x4.add, 32 multiply-adds in eight accumulators.
;; `dots1` is the same sums for one row i of A against all eight rows of B
;; (fewer than four rows of A: `dots` would pad them with zero rows): per four
;; k, one load of A and eight of B.
;; Build: npm run build:wasm (wabt) writes the bytes to gemm32-kernel.wasm.ts.
(module
  (memory (export "memory") 15)
  (func (export "tiles") (param $kc i32) (param $panels i32) (param $ldb i32) (param $step i32) (param $ldc i32)
    (local $p i32) (local $k i32) (local $a i32) (local $b i32) (local $o i32) (local $c i32)
    (local $a0 v128) (local $a1 v128) (local $bj v128)
    ;; $lj holds T[0..3][j]; $hj holds T[4..7][j].
    (local $l0 v128) (local $l1 v128) (local $l2 v128) (local $l3 v128)
    (local $h0 v128) (local $h1 v128) (local $h2 v128) (local $h3 v128)
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
        (local.set $b (i32.add (i32.const 8192) (i32.mul (local.get $p) (local.get $step))))
        (local.set $k (local.get $kc))
        (block $kDone
          (loop $kLoop
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
            (local.set $b (i32.add (local.get $b) (local.get $ldb)))
            (local.set $k (i32.sub (local.get $k) (i32.const 1)))
            (br $kLoop)))
        (if (i32.eqz (local.get $ldc))
          (then
            ;; The tile, column-major: column j is $lj then $hj.
            (v128.store offset=0 (local.get $o) (local.get $l0))
            (v128.store offset=16 (local.get $o) (local.get $h0))
            (v128.store offset=32 (local.get $o) (local.get $l1))
            (v128.store offset=48 (local.get $o) (local.get $h1))
            (v128.store offset=64 (local.get $o) (local.get $l2))
            (v128.store offset=80 (local.get $o) (local.get $h2))
            (v128.store offset=96 (local.get $o) (local.get $l3))
            (v128.store offset=112 (local.get $o) (local.get $h3)))
          (else
            ;; Added into the C block: the columns $l0..$l3 (rows 0-3) and $h0..$h3 (rows 4-7) transposed into rows
            ;; by two rounds of shuffles, each row added to C's four values at cBlock + 16 p + ldc i.
            (local.set $c (i32.add (i32.const 918528) (i32.shl (local.get $p) (i32.const 4))))
            (call $addRows (local.get $c) (local.get $ldc) (local.get $l0) (local.get $l1) (local.get $l2) (local.get $l3))
            (call $addRows (i32.add (local.get $c) (i32.shl (local.get $ldc) (i32.const 2))) (local.get $ldc)
              (local.get $h0) (local.get $h1) (local.get $h2) (local.get $h3))))
        (local.set $o (i32.add (local.get $o) (i32.const 128)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $panel))))
  (func (export "dots") (param $m i32) (param $r i32) (param $kd i32)
    (local $i i32) (local $j i32) (local $k i32) (local $a i32) (local $b i32)
    (local $w0 v128) (local $w1 v128) (local $x v128)
    ;; $sIJ: row i + I of A against row j + J of B, four lanes of partial sums.
    (local $s00 v128) (local $s01 v128) (local $s10 v128) (local $s11 v128)
    (local $s20 v128) (local $s21 v128) (local $s30 v128) (local $s31 v128)
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $j (i32.const 0))
        (block $colsDone
          (loop $cols
            (br_if $colsDone (i32.ge_u (local.get $j) (local.get $r)))
            (local.set $s00 (v128.const i32x4 0 0 0 0)) (local.set $s01 (v128.const i32x4 0 0 0 0))
            (local.set $s10 (v128.const i32x4 0 0 0 0)) (local.set $s11 (v128.const i32x4 0 0 0 0))
            (local.set $s20 (v128.const i32x4 0 0 0 0)) (local.set $s21 (v128.const i32x4 0 0 0 0))
            (local.set $s30 (v128.const i32x4 0 0 0 0)) (local.set $s31 (v128.const i32x4 0 0 0 0))
            ;; $a walks row i of A, $b row j of B; the next rows are 4 KD = 15360 bytes further each.
            (local.set $a (i32.add (i32.const 548864) (i32.mul (local.get $i) (i32.const 15360))))
            (local.set $b (i32.add (i32.const 794624) (i32.mul (local.get $j) (i32.const 15360))))
            (local.set $k (i32.const 0))
            (block $kDone
              (loop $step
                (br_if $kDone (i32.ge_u (local.get $k) (local.get $kd)))
                (local.set $w0 (v128.load (local.get $b)))
                (local.set $w1 (v128.load offset=15360 (local.get $b)))
                (local.set $x (v128.load (local.get $a)))
                (local.set $s00 (f32x4.add (local.get $s00) (f32x4.mul (local.get $x) (local.get $w0))))
                (local.set $s01 (f32x4.add (local.get $s01) (f32x4.mul (local.get $x) (local.get $w1))))
                (local.set $x (v128.load offset=15360 (local.get $a)))
                (local.set $s10 (f32x4.add (local.get $s10) (f32x4.mul (local.get $x) (local.get $w0))))
                (local.set $s11 (f32x4.add (local.get $s11) (f32x4.mul (local.get $x) (local.get $w1))))
                (local.set $x (v128.load offset=30720 (local.get $a)))
                (local.set $s20 (f32x4.add (local.get $s20) (f32x4.mul (local.get $x) (local.get $w0))))
                (local.set $s21 (f32x4.add (local.get $s21) (f32x4.mul (local.get $x) (local.get $w1))))
                (local.set $x (v128.load offset=46080 (local.get $a)))
                (local.set $s30 (f32x4.add (local.get $s30) (f32x4.mul (local.get $x) (local.get $w0))))
                (local.set $s31 (f32x4.add (local.get $s31) (f32x4.mul (local.get $x) (local.get $w1))))
                (local.set $a (i32.add (local.get $a) (i32.const 16)))
                (local.set $b (i32.add (local.get $b) (i32.const 16)))
                (local.set $k (i32.add (local.get $k) (i32.const 4)))
                (br $step)))
            ;; out[i + I][j + J] = (lane 0 + lane 1) + (lane 2 + lane 3).
            (local.set $a (i32.add (i32.const 917504) (i32.shl (i32.add (i32.shl (local.get $i) (i32.const 3)) (local.get $j)) (i32.const 2))))
            (f32.store offset=0 (local.get $a) (call $lanes (local.get $s00)))
            (f32.store offset=4 (local.get $a) (call $lanes (local.get $s01)))
            (f32.store offset=32 (local.get $a) (call $lanes (local.get $s10)))
            (f32.store offset=36 (local.get $a) (call $lanes (local.get $s11)))
            (f32.store offset=64 (local.get $a) (call $lanes (local.get $s20)))
            (f32.store offset=68 (local.get $a) (call $lanes (local.get $s21)))
            (f32.store offset=96 (local.get $a) (call $lanes (local.get $s30)))
            (f32.store offset=100 (local.get $a) (call $lanes (local.get $s31)))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br $cols)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rows))))
  (func (export "dots1") (param $i i32) (param $kd i32)
    (local $k i32) (local $a i32) (local $b i32) (local $o i32) (local $x v128)
    ;; $sJ: row i of A against row J of B (eight rows), four lanes of partial sums.
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $s4 v128) (local $s5 v128) (local $s6 v128) (local $s7 v128)
    (local.set $a (i32.add (i32.const 548864) (i32.mul (local.get $i) (i32.const 15360))))
    (local.set $b (i32.const 794624))
    (block $kDone
      (loop $step
        (br_if $kDone (i32.ge_u (local.get $k) (local.get $kd)))
        (local.set $x (v128.load (local.get $a)))
        (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $x) (v128.load offset=0 (local.get $b)))))
        (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (local.get $x) (v128.load offset=15360 (local.get $b)))))
        (local.set $s2 (f32x4.add (local.get $s2) (f32x4.mul (local.get $x) (v128.load offset=30720 (local.get $b)))))
        (local.set $s3 (f32x4.add (local.get $s3) (f32x4.mul (local.get $x) (v128.load offset=46080 (local.get $b)))))
        (local.set $s4 (f32x4.add (local.get $s4) (f32x4.mul (local.get $x) (v128.load offset=61440 (local.get $b)))))
        (local.set $s5 (f32x4.add (local.get $s5) (f32x4.mul (local.get $x) (v128.load offset=76800 (local.get $b)))))
        (local.set $s6 (f32x4.add (local.get $s6) (f32x4.mul (local.get $x) (v128.load offset=92160 (local.get $b)))))
        (local.set $s7 (f32x4.add (local.get $s7) (f32x4.mul (local.get $x) (v128.load offset=107520 (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $step)))
    ;; out[i][J] = (lane 0 + lane 1) + (lane 2 + lane 3), as `dots` sums.
    (local.set $o (i32.add (i32.const 917504) (i32.shl (local.get $i) (i32.const 5))))
    (f32.store offset=0 (local.get $o) (call $lanes (local.get $s0)))
    (f32.store offset=4 (local.get $o) (call $lanes (local.get $s1)))
    (f32.store offset=8 (local.get $o) (call $lanes (local.get $s2)))
    (f32.store offset=12 (local.get $o) (call $lanes (local.get $s3)))
    (f32.store offset=16 (local.get $o) (call $lanes (local.get $s4)))
    (f32.store offset=20 (local.get $o) (call $lanes (local.get $s5)))
    (f32.store offset=24 (local.get $o) (call $lanes (local.get $s6)))
    (f32.store offset=28 (local.get $o) (call $lanes (local.get $s7))))
  ;; C[r][0..3] += column-major 4 x 4 block (q0..q3 its columns) for rows r = 0..3 at c, c + ldc, c + 2 ldc, c + 3 ldc:
  ;; t0 = [q00 q01 q10 q11], t1 = [q20 q21 q30 q31], t2 = [q02 q03 q12 q13], t3 = [q22 q23 q32 q33] (qij: row i,
  ;; column j), then row 0 = [t0.0 t0.1 t2.0 t2.1], row 1 = [t0.2 t0.3 t2.2 t2.3], rows 2 and 3 likewise from t1, t3.
  (func $addRows (param $c i32) (param $ldc i32) (param $q0 v128) (param $q1 v128) (param $q2 v128) (param $q3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $q0) (local.get $q1)))
    (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $q0) (local.get $q1)))
    (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $q2) (local.get $q3)))
    (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $q2) (local.get $q3)))
    (v128.store (local.get $c) (f32x4.add (v128.load (local.get $c))
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2))))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store (local.get $c) (f32x4.add (v128.load (local.get $c))
      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2))))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store (local.get $c) (f32x4.add (v128.load (local.get $c))
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3))))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store (local.get $c) (f32x4.add (v128.load (local.get $c))
      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))))
  (func $lanes (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v))))))
