;; lrn.ts's LRN_FORWARD and LRN_BACKWARD in WebAssembly, for float32 tensors:
;; the same sliding-window sums and the same double-precision arithmetic in
;; the same order (a float32 loaded is promoted to float64 as JavaScript does,
;; each result demoted once where JavaScript stores it in a Float32Array), so
;; y, D and dx come out bit for bit as the JavaScript kernels give them
;; (spec/cpu/lrn-wasm.spec.ts). Only the paper's beta = 0.75 (section 3.3):
;; D^-0.75 = 1 / sqrt(D sqrt(D)), as lrn.ts's powNegBeta; WebAssembly has no pow.
;; Two elements at a time (f64x2: each lane is the scalar IEEE operation, so
;; the pairs change no bit), then the odd one. The two square roots and the
;; division per element bound these loops.
;;
;; Memory (byte offsets passed in by lrn-wasm.ts): the blocks' float32 arrays,
;; `blocks` blocks of C planes of HW values each, one after another, and
;; float64 scratch: S [HW] (the window's running sum) and, backward, T [C HW].
;;
;; `forward`: for each block, S = sum of x^2 over channels 0..min(hi, C - 1);
;;   then per channel c: D = k + a S, y = x / (sqrt(D sqrt(D))) (as x * (1 / ...)),
;;   and S += x[c + 1 + hi]^2 (if < C), S -= x[c - lo]^2 (if >= 0).
;; `backward`: T = dy y / D per element; S = sum of T over channels 0..min(lo, C - 1);
;;   per channel j: dx = dy (1 / sqrt(D sqrt(D))) - ((c2 x) S), c2 = 2 a beta,
;;   then S += T[j + 1 + lo] (if < C), S -= T[j - hi] (if >= 0).
;; Build: npm run build:wasm (wabt) writes the bytes to lrn-kernel.wasm.ts.
(module
  (memory (export "memory") 1)
  ;; D^-0.75 as lrn.ts's powNegBeta computes it: 1 / sqrt(D * sqrt(D)).
  (func $powNeg (param $D f64) (result f64)
    (f64.div (f64.const 1) (f64.sqrt (f64.mul (local.get $D) (f64.sqrt (local.get $D))))))
  ;; S[q] += f32 src[q]^2 (sub = 0) or -= (sub = 1), q < HW: two values at a time (f64x2), then the odd one.
  (func $slideSq (param $S i32) (param $src i32) (param $HW i32) (param $sub i32)
    (local $q i32) (local $v f64) (local $v2 v128) (local $at i32)
    (block $pairs (loop $l2
      (br_if $pairs (i32.gt_u (i32.add (local.get $q) (i32.const 2)) (local.get $HW)))
      (local.set $v2 (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $src) (i32.shl (local.get $q) (i32.const 2))))))
      (local.set $v2 (f64x2.mul (local.get $v2) (local.get $v2)))
      (local.set $at (i32.add (local.get $S) (i32.shl (local.get $q) (i32.const 3))))
      (v128.store (local.get $at)
        (if (result v128) (local.get $sub)
          (then (f64x2.sub (v128.load (local.get $at)) (local.get $v2)))
          (else (f64x2.add (v128.load (local.get $at)) (local.get $v2)))))
      (local.set $q (i32.add (local.get $q) (i32.const 2)))
      (br $l2)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $q) (local.get $HW)))
      (local.set $v (f64.promote_f32 (f32.load (i32.add (local.get $src) (i32.shl (local.get $q) (i32.const 2))))))
      (local.set $v (f64.mul (local.get $v) (local.get $v)))
      (f64.store (i32.add (local.get $S) (i32.shl (local.get $q) (i32.const 3)))
        (if (result f64) (local.get $sub)
          (then (f64.sub (f64.load (i32.add (local.get $S) (i32.shl (local.get $q) (i32.const 3)))) (local.get $v)))
          (else (f64.add (f64.load (i32.add (local.get $S) (i32.shl (local.get $q) (i32.const 3)))) (local.get $v)))))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $l))))
  ;; S[q] += f64 src[q] (sub = 0) or -= (sub = 1), q < HW: two values at a time (f64x2), then the odd one.
  (func $slide (param $S i32) (param $src i32) (param $HW i32) (param $sub i32)
    (local $q i32) (local $v f64) (local $v2 v128) (local $at i32)
    (block $pairs (loop $l2
      (br_if $pairs (i32.gt_u (i32.add (local.get $q) (i32.const 2)) (local.get $HW)))
      (local.set $v2 (v128.load (i32.add (local.get $src) (i32.shl (local.get $q) (i32.const 3)))))
      (local.set $at (i32.add (local.get $S) (i32.shl (local.get $q) (i32.const 3))))
      (v128.store (local.get $at)
        (if (result v128) (local.get $sub)
          (then (f64x2.sub (v128.load (local.get $at)) (local.get $v2)))
          (else (f64x2.add (v128.load (local.get $at)) (local.get $v2)))))
      (local.set $q (i32.add (local.get $q) (i32.const 2)))
      (br $l2)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $q) (local.get $HW)))
      (local.set $v (f64.load (i32.add (local.get $src) (i32.shl (local.get $q) (i32.const 3)))))
      (f64.store (i32.add (local.get $S) (i32.shl (local.get $q) (i32.const 3)))
        (if (result f64) (local.get $sub)
          (then (f64.sub (f64.load (i32.add (local.get $S) (i32.shl (local.get $q) (i32.const 3)))) (local.get $v)))
          (else (f64.add (f64.load (i32.add (local.get $S) (i32.shl (local.get $q) (i32.const 3)))) (local.get $v)))))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $l))))
  ;; powNeg on two lanes.
  (func $powNeg2 (param $D v128) (result v128)
    (f64x2.div (f64x2.splat (f64.const 1)) (f64x2.sqrt (f64x2.mul (local.get $D) (f64x2.sqrt (local.get $D))))))
  (func (export "forward") (param $x i32) (param $y i32) (param $d i32) (param $S i32) (param $blocks i32)
        (param $C i32) (param $HW i32) (param $lo i32) (param $hi i32) (param $k f64) (param $a f64)
    (local $blk i32) (local $img i32) (local $c i32) (local $j i32) (local $q i32) (local $at i32) (local $D f64) (local $plane i32) (local $D2 v128)
    (local.set $plane (i32.shl (local.get $HW) (i32.const 2)))
    (block $blocksDone (loop $block
      (br_if $blocksDone (i32.ge_u (local.get $blk) (local.get $blocks)))
      (local.set $img (i32.mul (i32.mul (local.get $blk) (local.get $C)) (local.get $plane)))
      (memory.fill (local.get $S) (i32.const 0) (i32.shl (local.get $HW) (i32.const 3)))
      (local.set $j (i32.const 0))
      (block $initDone (loop $init
        (br_if $initDone (i32.or (i32.gt_s (local.get $j) (local.get $hi)) (i32.ge_s (local.get $j) (local.get $C))))
        (call $slideSq (local.get $S) (i32.add (i32.add (local.get $x) (local.get $img)) (i32.mul (local.get $j) (local.get $plane))) (local.get $HW) (i32.const 0))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $init)))
      (local.set $c (i32.const 0))
      (block $chDone (loop $ch
        (br_if $chDone (i32.ge_u (local.get $c) (local.get $C)))
        (local.set $at (i32.add (local.get $img) (i32.mul (local.get $c) (local.get $plane))))
        (local.set $q (i32.const 0))
        (block $pairsDone (loop $pl
          (br_if $pairsDone (i32.gt_u (i32.add (local.get $q) (i32.const 2)) (local.get $HW)))
          (local.set $D2 (f64x2.add (f64x2.splat (local.get $k)) (f64x2.mul (f64x2.splat (local.get $a)) (v128.load (i32.add (local.get $S) (i32.shl (local.get $q) (i32.const 3)))))))
          (v128.store64_lane 0 (i32.add (i32.add (local.get $d) (local.get $at)) (i32.shl (local.get $q) (i32.const 2))) (f32x4.demote_f64x2_zero (local.get $D2)))
          (v128.store64_lane 0 (i32.add (i32.add (local.get $y) (local.get $at)) (i32.shl (local.get $q) (i32.const 2)))
            (f32x4.demote_f64x2_zero (f64x2.mul
              (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (i32.add (local.get $x) (local.get $at)) (i32.shl (local.get $q) (i32.const 2)))))
              (call $powNeg2 (local.get $D2)))))
          (local.set $q (i32.add (local.get $q) (i32.const 2)))
          (br $pl)))
        (block $qDone (loop $ql
          (br_if $qDone (i32.ge_u (local.get $q) (local.get $HW)))
          (local.set $D (f64.add (local.get $k) (f64.mul (local.get $a) (f64.load (i32.add (local.get $S) (i32.shl (local.get $q) (i32.const 3)))))))
          (f32.store (i32.add (i32.add (local.get $d) (local.get $at)) (i32.shl (local.get $q) (i32.const 2))) (f32.demote_f64 (local.get $D)))
          (f32.store (i32.add (i32.add (local.get $y) (local.get $at)) (i32.shl (local.get $q) (i32.const 2)))
            (f32.demote_f64 (f64.mul
              (f64.promote_f32 (f32.load (i32.add (i32.add (local.get $x) (local.get $at)) (i32.shl (local.get $q) (i32.const 2)))))
              (call $powNeg (local.get $D)))))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br $ql)))
        ;; enter = c + 1 + hi, leave = c - lo
        (if (i32.lt_s (i32.add (i32.add (local.get $c) (i32.const 1)) (local.get $hi)) (local.get $C))
          (then (call $slideSq (local.get $S)
            (i32.add (i32.add (local.get $x) (local.get $img)) (i32.mul (i32.add (i32.add (local.get $c) (i32.const 1)) (local.get $hi)) (local.get $plane)))
            (local.get $HW) (i32.const 0))))
        (if (i32.ge_s (i32.sub (local.get $c) (local.get $lo)) (i32.const 0))
          (then (call $slideSq (local.get $S)
            (i32.add (i32.add (local.get $x) (local.get $img)) (i32.mul (i32.sub (local.get $c) (local.get $lo)) (local.get $plane)))
            (local.get $HW) (i32.const 1))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $ch)))
      (local.set $blk (i32.add (local.get $blk) (i32.const 1)))
      (br $block))))
  (func (export "backward") (param $dy i32) (param $x i32) (param $y i32) (param $d i32) (param $dx i32) (param $S i32) (param $T i32)
        (param $blocks i32) (param $C i32) (param $HW i32) (param $lo i32) (param $hi i32) (param $c2 f64)
    (local $blk i32) (local $img i32) (local $i i32) (local $n i32) (local $c i32) (local $j i32) (local $q i32) (local $at i32) (local $e i32)
    (local $plane i32) (local $tplane i32)
    (local.set $plane (i32.shl (local.get $HW) (i32.const 2)))
    (local.set $tplane (i32.shl (local.get $HW) (i32.const 3)))
    (local.set $n (i32.mul (local.get $C) (local.get $HW)))
    (block $blocksDone (loop $block
      (br_if $blocksDone (i32.ge_u (local.get $blk) (local.get $blocks)))
      (local.set $img (i32.mul (i32.mul (local.get $blk) (local.get $C)) (local.get $plane)))
      ;; T[i] = (dy y) / D
      (local.set $i (i32.const 0))
      (block $tPairs (loop $tp
        (br_if $tPairs (i32.gt_u (i32.add (local.get $i) (i32.const 2)) (local.get $n)))
        (local.set $e (i32.add (local.get $img) (i32.shl (local.get $i) (i32.const 2))))
        (v128.store (i32.add (local.get $T) (i32.shl (local.get $i) (i32.const 3)))
          (f64x2.div
            (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $dy) (local.get $e)))) (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $y) (local.get $e)))))
            (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $d) (local.get $e))))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $tp)))
      (block $tDone (loop $tl
        (br_if $tDone (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $e (i32.add (local.get $img) (i32.shl (local.get $i) (i32.const 2))))
        (f64.store (i32.add (local.get $T) (i32.shl (local.get $i) (i32.const 3)))
          (f64.div
            (f64.mul (f64.promote_f32 (f32.load (i32.add (local.get $dy) (local.get $e)))) (f64.promote_f32 (f32.load (i32.add (local.get $y) (local.get $e)))))
            (f64.promote_f32 (f32.load (i32.add (local.get $d) (local.get $e))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tl)))
      (memory.fill (local.get $S) (i32.const 0) (local.get $tplane))
      (local.set $c (i32.const 0))
      (block $initDone (loop $init
        (br_if $initDone (i32.or (i32.gt_s (local.get $c) (local.get $lo)) (i32.ge_s (local.get $c) (local.get $C))))
        (call $slide (local.get $S) (i32.add (local.get $T) (i32.mul (local.get $c) (local.get $tplane))) (local.get $HW) (i32.const 0))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $init)))
      (local.set $j (i32.const 0))
      (block $chDone (loop $ch
        (br_if $chDone (i32.ge_u (local.get $j) (local.get $C)))
        (local.set $at (i32.add (local.get $img) (i32.mul (local.get $j) (local.get $plane))))
        (local.set $q (i32.const 0))
        (block $pairsDone (loop $pl
          (br_if $pairsDone (i32.gt_u (i32.add (local.get $q) (i32.const 2)) (local.get $HW)))
          (local.set $e (i32.add (local.get $at) (i32.shl (local.get $q) (i32.const 2))))
          (v128.store64_lane 0 (i32.add (local.get $dx) (local.get $e))
            (f32x4.demote_f64x2_zero (f64x2.sub
              (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $dy) (local.get $e))))
                         (call $powNeg2 (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $d) (local.get $e))))))
              (f64x2.mul (f64x2.mul (f64x2.splat (local.get $c2)) (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $x) (local.get $e)))))
                         (v128.load (i32.add (local.get $S) (i32.shl (local.get $q) (i32.const 3))))))))
          (local.set $q (i32.add (local.get $q) (i32.const 2)))
          (br $pl)))
        (block $qDone (loop $ql
          (br_if $qDone (i32.ge_u (local.get $q) (local.get $HW)))
          (local.set $e (i32.add (local.get $at) (i32.shl (local.get $q) (i32.const 2))))
          (f32.store (i32.add (local.get $dx) (local.get $e))
            (f32.demote_f64 (f64.sub
              (f64.mul (f64.promote_f32 (f32.load (i32.add (local.get $dy) (local.get $e))))
                       (call $powNeg (f64.promote_f32 (f32.load (i32.add (local.get $d) (local.get $e))))))
              (f64.mul (f64.mul (local.get $c2) (f64.promote_f32 (f32.load (i32.add (local.get $x) (local.get $e)))))
                       (f64.load (i32.add (local.get $S) (i32.shl (local.get $q) (i32.const 3))))))))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br $ql)))
        ;; enter = j + 1 + lo, leave = j - hi
        (if (i32.lt_s (i32.add (i32.add (local.get $j) (i32.const 1)) (local.get $lo)) (local.get $C))
          (then (call $slide (local.get $S) (i32.add (local.get $T) (i32.mul (i32.add (i32.add (local.get $j) (i32.const 1)) (local.get $lo)) (local.get $tplane))) (local.get $HW) (i32.const 0))))
        (if (i32.ge_s (i32.sub (local.get $j) (local.get $hi)) (i32.const 0))
          (then (call $slide (local.get $S) (i32.add (local.get $T) (i32.mul (i32.sub (local.get $j) (local.get $hi)) (local.get $tplane))) (local.get $HW) (i32.const 1))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $ch)))
      (local.set $blk (i32.add (local.get $blk) (i32.const 1)))
      (br $block))))
)
