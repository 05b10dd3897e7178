;; LRN (section 3.3) in float32 arithmetic, four values at a time (f32x4), for
;; the backends that sum in float32 as PyTorch does (`sums: 'float32'`):
;; lrn.ts's LRN_FORWARD and LRN_BACKWARD keep float64 and a sliding window,
;; and lrn-kernel.wat reproduces their bits; this kernel trades those bits
;; for four lanes and float32 square roots and divisions (the float64 ones
;; bound lrn-kernel.wat), within the float32 error bound that
;; spec/cpu/lrn32-wasm.spec.ts states and checks against the float64 kernels.
;;
;; Each window's sum is formed afresh from its n terms in channel order, not
;; slid: a sliding float32 sum would carry the rounding of every channel it
;; ever held (a large activation that has left the window would leave its
;; error behind), where n terms of one sign carry at most n roundings of
;; their own size. Only the paper's beta = 0.75: D^-0.75 = 1 / sqrt(D sqrt(D)).
;;
;; Memory (byte offsets passed in by lrn32-wasm.ts): `blocks` blocks of C
;; planes of HW float32 values each, one after another.
;;
;; `forward`: per block, channel c and pixel q:
;;   S = sum over j = max(0, c - lo) .. min(C - 1, c + hi) of x[j]^2 (in that order),
;;   D = k + a S, y = x (1 / sqrt(D sqrt(D))).
;; `backward`: per block, T = (dy y) / D for every element (scratch at $T), then per
;;   channel j: dx = dy (1 / sqrt(D sqrt(D))) - (c2 x) U, c2 = 2 a beta,
;;   U = sum over c = max(0, j - hi) .. min(C - 1, j + lo) of T[c] (in that order).
;; Pixels four at a time, then the last HW mod 4 one by one with the same
;; operations (each f32x4 lane is the scalar IEEE operation, so the two give
;; the same bits).
;; Build: npm run build:wasm (wabt) writes the bytes to lrn32-kernel.wasm.ts.
(module
  (memory (export "memory") 1)
  ;; D^-0.75 as 1 / sqrt(D sqrt(D)), four lanes and one.
  (func $pow4 (param $D v128) (result v128)
    (f32x4.div (f32x4.splat (f32.const 1)) (f32x4.sqrt (f32x4.mul (local.get $D) (f32x4.sqrt (local.get $D))))))
  (func $pow1 (param $D f32) (result f32)
    (f32.div (f32.const 1) (f32.sqrt (f32.mul (local.get $D) (f32.sqrt (local.get $D))))))
  (func $min (param $a i32) (param $b i32) (result i32)
    (select (local.get $a) (local.get $b) (i32.lt_s (local.get $a) (local.get $b))))
  (func $max (param $a i32) (param $b i32) (result i32)
    (select (local.get $a) (local.get $b) (i32.gt_s (local.get $a) (local.get $b))))

  (func (export "forward") (param $x i32) (param $y i32) (param $d i32) (param $blocks i32)
        (param $C i32) (param $HW i32) (param $lo i32) (param $hi i32) (param $k f32) (param $a f32)
    (local $blk i32) (local $c i32) (local $j i32) (local $j0 i32) (local $j1 i32) (local $q i32) (local $q4 i32)
    (local $plane i32) (local $img i32) (local $at i32) (local $e i32)
    (local $S v128) (local $v v128) (local $D v128) (local $s f32) (local $u f32) (local $D1 f32)
    (local.set $plane (i32.shl (local.get $HW) (i32.const 2)))
    ;; q4: the pixels handled four at a time
    (local.set $q4 (i32.and (local.get $HW) (i32.const -4)))
    (block $blocksDone (loop $block
      (br_if $blocksDone (i32.ge_u (local.get $blk) (local.get $blocks)))
      (local.set $img (i32.mul (i32.mul (local.get $blk) (local.get $C)) (local.get $plane)))
      (local.set $c (i32.const 0))
      (block $chDone (loop $ch
        (br_if $chDone (i32.ge_s (local.get $c) (local.get $C)))
        (local.set $at (i32.add (local.get $img) (i32.mul (local.get $c) (local.get $plane))))
        (local.set $j0 (call $max (i32.const 0) (i32.sub (local.get $c) (local.get $lo))))
        (local.set $j1 (call $min (i32.sub (local.get $C) (i32.const 1)) (i32.add (local.get $c) (local.get $hi))))
        (local.set $q (i32.const 0))
        (block $q4Done (loop $q4l
          (br_if $q4Done (i32.ge_u (local.get $q) (local.get $q4)))
          (local.set $S (f32x4.splat (f32.const 0)))
          (local.set $j (local.get $j0))
          (block $wDone (loop $w
            (br_if $wDone (i32.gt_s (local.get $j) (local.get $j1)))
            (local.set $v (v128.load (i32.add (i32.add (local.get $x) (local.get $img))
              (i32.add (i32.mul (local.get $j) (local.get $plane)) (i32.shl (local.get $q) (i32.const 2))))))
            (local.set $S (f32x4.add (local.get $S) (f32x4.mul (local.get $v) (local.get $v))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $w)))
          (local.set $e (i32.add (local.get $at) (i32.shl (local.get $q) (i32.const 2))))
          (local.set $D (f32x4.add (f32x4.splat (local.get $k)) (f32x4.mul (f32x4.splat (local.get $a)) (local.get $S))))
          (v128.store (i32.add (local.get $d) (local.get $e)) (local.get $D))
          (v128.store (i32.add (local.get $y) (local.get $e))
            (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $e))) (call $pow4 (local.get $D))))
          (local.set $q (i32.add (local.get $q) (i32.const 4)))
          (br $q4l)))
        (block $qDone (loop $ql
          (br_if $qDone (i32.ge_u (local.get $q) (local.get $HW)))
          (local.set $s (f32.const 0))
          (local.set $j (local.get $j0))
          (block $wDone1 (loop $w1
            (br_if $wDone1 (i32.gt_s (local.get $j) (local.get $j1)))
            (local.set $u (f32.load (i32.add (i32.add (local.get $x) (local.get $img))
              (i32.add (i32.mul (local.get $j) (local.get $plane)) (i32.shl (local.get $q) (i32.const 2))))))
            (local.set $s (f32.add (local.get $s) (f32.mul (local.get $u) (local.get $u))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $w1)))
          (local.set $e (i32.add (local.get $at) (i32.shl (local.get $q) (i32.const 2))))
          (local.set $D1 (f32.add (local.get $k) (f32.mul (local.get $a) (local.get $s))))
          (f32.store (i32.add (local.get $d) (local.get $e)) (local.get $D1))
          (f32.store (i32.add (local.get $y) (local.get $e))
            (f32.mul (f32.load (i32.add (local.get $x) (local.get $e))) (call $pow1 (local.get $D1))))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br $ql)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $ch)))
      (local.set $blk (i32.add (local.get $blk) (i32.const 1)))
      (br $block))))

  (func (export "backward") (param $dy i32) (param $x i32) (param $y i32) (param $d i32) (param $dx i32) (param $T i32)
        (param $blocks i32) (param $C i32) (param $HW i32) (param $lo i32) (param $hi i32) (param $c2 f32)
    (local $blk i32) (local $i i32) (local $n i32) (local $n4 i32) (local $c i32) (local $c0 i32) (local $c1 i32) (local $j i32)
    (local $q i32) (local $q4 i32) (local $plane i32) (local $img i32) (local $at i32) (local $e i32) (local $te i32)
    (local $U v128) (local $u f32)
    (local.set $plane (i32.shl (local.get $HW) (i32.const 2)))
    (local.set $q4 (i32.and (local.get $HW) (i32.const -4)))
    (local.set $n (i32.mul (local.get $C) (local.get $HW)))
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (block $blocksDone (loop $block
      (br_if $blocksDone (i32.ge_u (local.get $blk) (local.get $blocks)))
      (local.set $img (i32.mul (i32.mul (local.get $blk) (local.get $C)) (local.get $plane)))
      ;; T = (dy y) / D over the block
      (local.set $i (i32.const 0))
      (block $t4Done (loop $t4
        (br_if $t4Done (i32.ge_u (local.get $i) (local.get $n4)))
        (local.set $e (i32.add (local.get $img) (i32.shl (local.get $i) (i32.const 2))))
        (v128.store (i32.add (local.get $T) (i32.shl (local.get $i) (i32.const 2)))
          (f32x4.div (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $e))) (v128.load (i32.add (local.get $y) (local.get $e))))
                     (v128.load (i32.add (local.get $d) (local.get $e)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $t4)))
      (block $t1Done (loop $t1
        (br_if $t1Done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $e (i32.add (local.get $img) (i32.shl (local.get $i) (i32.const 2))))
        (f32.store (i32.add (local.get $T) (i32.shl (local.get $i) (i32.const 2)))
          (f32.div (f32.mul (f32.load (i32.add (local.get $dy) (local.get $e))) (f32.load (i32.add (local.get $y) (local.get $e))))
                   (f32.load (i32.add (local.get $d) (local.get $e)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $t1)))
      (local.set $j (i32.const 0))
      (block $chDone (loop $ch
        (br_if $chDone (i32.ge_s (local.get $j) (local.get $C)))
        (local.set $at (i32.add (local.get $img) (i32.mul (local.get $j) (local.get $plane))))
        ;; the output channels whose window holds j: c in [j - hi, j + lo]
        (local.set $c0 (call $max (i32.const 0) (i32.sub (local.get $j) (local.get $hi))))
        (local.set $c1 (call $min (i32.sub (local.get $C) (i32.const 1)) (i32.add (local.get $j) (local.get $lo))))
        (local.set $q (i32.const 0))
        (block $q4Done (loop $q4l
          (br_if $q4Done (i32.ge_u (local.get $q) (local.get $q4)))
          (local.set $U (f32x4.splat (f32.const 0)))
          (local.set $c (local.get $c0))
          (block $wDone (loop $w
            (br_if $wDone (i32.gt_s (local.get $c) (local.get $c1)))
            (local.set $U (f32x4.add (local.get $U) (v128.load (i32.add (local.get $T)
              (i32.add (i32.mul (local.get $c) (local.get $plane)) (i32.shl (local.get $q) (i32.const 2)))))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $w)))
          (local.set $e (i32.add (local.get $at) (i32.shl (local.get $q) (i32.const 2))))
          (v128.store (i32.add (local.get $dx) (local.get $e))
            (f32x4.sub
              (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $e))) (call $pow4 (v128.load (i32.add (local.get $d) (local.get $e)))))
              (f32x4.mul (f32x4.mul (f32x4.splat (local.get $c2)) (v128.load (i32.add (local.get $x) (local.get $e)))) (local.get $U))))
          (local.set $q (i32.add (local.get $q) (i32.const 4)))
          (br $q4l)))
        (block $qDone (loop $ql
          (br_if $qDone (i32.ge_u (local.get $q) (local.get $HW)))
          (local.set $u (f32.const 0))
          (local.set $c (local.get $c0))
          (block $wDone1 (loop $w1
            (br_if $wDone1 (i32.gt_s (local.get $c) (local.get $c1)))
            (local.set $u (f32.add (local.get $u) (f32.load (i32.add (local.get $T)
              (i32.add (i32.mul (local.get $c) (local.get $plane)) (i32.shl (local.get $q) (i32.const 2)))))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $w1)))
          (local.set $e (i32.add (local.get $at) (i32.shl (local.get $q) (i32.const 2))))
          (f32.store (i32.add (local.get $dx) (local.get $e))
            (f32.sub
              (f32.mul (f32.load (i32.add (local.get $dy) (local.get $e))) (call $pow1 (f32.load (i32.add (local.get $d) (local.get $e)))))
              (f32.mul (f32.mul (local.get $c2) (f32.load (i32.add (local.get $x) (local.get $e)))) (local.get $u))))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br $ql)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $ch)))
      (local.set $blk (i32.add (local.get $blk) (i32.const 1)))
      (br $block))))
)
