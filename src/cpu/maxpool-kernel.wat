;; maxpool.ts's MAXPOOL_FORWARD in WebAssembly, for float32 tensors: the same
;; windows in the same order and the same winner (the first maximum in
;; row-major order, a strict '>'), chosen with integer `select`s instead of a
;; branch.
;; Which input of a window wins looks random to a branch predictor (a new
;; maximum appears about twice in nine values), and JavaScript's branch was
;; mispredicted often enough to cost about 40 ns an output here.
;;
;; `forward` pools `planes` planes of H x W float32 values at x into Ho x Wo
;; outputs at y, and writes at arg each output's winner as a flat index into
;; the whole tensor: base (the first plane's index) + plane H W + yy W + xx.
;; A window is clipped to its plane (padding never wins, as in maxpool.ts).
;;
;; With stride 2 (the paper's overlapping pooling, section 3.4, and every
;; configuration here), four outputs of a row side by side whose windows lie
;; wholly inside the plane are computed at once in f32x4 lanes: tap (yy, dx)
;; of outputs j .. j + 3 is x at columns 2 j - pad + dx + 0, 2, 4, 6, the even
;; lanes of two loads. Each lane keeps its own running maximum and winner
;; with f32x4.gt and v128.bitselect, taps in the same row-major order, so each
;; lane's result and winner are the scalar loop's bit for bit (a NaN first
;; tap stays, a later NaN never wins, the first of equal maxima wins). The
;; comparison chain (compare, then select, then the next compare) is what
;; bounds the scalar loop: 18 ns an output, measured on [128, 16, 28, 28];
;; four lanes share one chain. The last load of a group reads one value
;; past its window's last column, still inside the kernel's memory (x is
;; followed by y), and its lane is discarded.
;; Build: npm run build:wasm (wabt) writes the bytes to maxpool-kernel.wasm.ts.
(module
  (memory (export "memory") 1)
  (func (export "forward") (param $x i32) (param $y i32) (param $arg i32) (param $planes i32) (param $H i32) (param $W i32)
        (param $Ho i32) (param $Wo i32) (param $kernel i32) (param $stride i32) (param $pad i32) (param $base i32)
    (local $p i32) (local $i i32) (local $j i32) (local $y0 i32) (local $y1 i32) (local $x0 i32) (local $x1 i32)
    (local $yy i32) (local $xx i32) (local $best f32) (local $at i32) (local $v f32) (local $idx i32) (local $gt i32)
    (local $plane i32) (local $o i32)
    (local $r i32) (local $dx i32) (local $pv i32) (local $vb v128) (local $va v128) (local $vv v128) (local $m v128)
    (block $planesDone (loop $pl
      (br_if $planesDone (i32.ge_u (local.get $p) (local.get $planes)))
      (local.set $plane (i32.mul (local.get $p) (i32.mul (local.get $H) (local.get $W))))
      (local.set $i (i32.const 0))
      (block $iDone (loop $il
        (br_if $iDone (i32.ge_u (local.get $i) (local.get $Ho)))
        ;; y0 = max(0, i s - pad), y1 = min(H, i s - pad + kernel)
        (local.set $y0 (i32.sub (i32.mul (local.get $i) (local.get $stride)) (local.get $pad)))
        (local.set $y1 (i32.add (local.get $y0) (local.get $kernel)))
        (if (i32.lt_s (local.get $y0) (i32.const 0)) (then (local.set $y0 (i32.const 0))))
        (if (i32.gt_s (local.get $y1) (local.get $H)) (then (local.set $y1 (local.get $H))))
        (local.set $j (i32.const 0))
        (block $jDone (loop $jl
          (br_if $jDone (i32.ge_u (local.get $j) (local.get $Wo)))
          ;; Four outputs at once where stride is 2 and their windows' columns 2 j - pad .. 2 j - pad + 6 + kernel - 1
          ;; lie in [0, W). (Then output j + 3 exists: a window inside the plane fits the padded one, so j + 3 < Wo.)
          (if (i32.and (i32.eq (local.get $stride) (i32.const 2))
                (i32.and (i32.ge_s (local.tee $x0 (i32.sub (i32.shl (local.get $j) (i32.const 1)) (local.get $pad))) (i32.const 0))
                  (i32.le_s (i32.add (i32.add (local.get $x0) (i32.const 6)) (local.get $kernel)) (local.get $W))))
            (then
              ;; Each lane starts from its window's first value, taken as it is (even a NaN), and compares it again
              ;; with itself first, which changes nothing (v > v is false).
              (local.set $r (i32.add (i32.add (local.get $plane) (i32.mul (local.get $y0) (local.get $W))) (local.get $x0)))
              (local.set $pv (i32.add (local.get $x) (i32.shl (local.get $r) (i32.const 2))))
              (local.set $vb (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
                (v128.load (local.get $pv)) (v128.load offset=16 (local.get $pv))))
              (local.set $va (i32x4.add (i32x4.splat (local.get $r)) (v128.const i32x4 0 2 4 6)))
              (local.set $yy (local.get $y0))
              (block $vyDone (loop $vyl
                (br_if $vyDone (i32.ge_s (local.get $yy) (local.get $y1)))
                (local.set $r (i32.add (i32.add (local.get $plane) (i32.mul (local.get $yy) (local.get $W))) (local.get $x0)))
                (local.set $dx (i32.const 0))
                (block $vxDone (loop $vxl
                  (br_if $vxDone (i32.ge_s (local.get $dx) (local.get $kernel)))
                  (local.set $idx (i32.add (local.get $r) (local.get $dx)))
                  (local.set $pv (i32.add (local.get $x) (i32.shl (local.get $idx) (i32.const 2))))
                  ;; Columns idx, idx + 2, idx + 4, idx + 6: the even lanes of x[idx .. idx + 3] and x[idx + 4 .. idx + 7].
                  (local.set $vv (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
                    (v128.load (local.get $pv)) (v128.load offset=16 (local.get $pv))))
                  (local.set $m (f32x4.gt (local.get $vv) (local.get $vb)))
                  (local.set $vb (v128.bitselect (local.get $vv) (local.get $vb) (local.get $m)))
                  (local.set $va (v128.bitselect (i32x4.add (i32x4.splat (local.get $idx)) (v128.const i32x4 0 2 4 6)) (local.get $va) (local.get $m)))
                  (local.set $dx (i32.add (local.get $dx) (i32.const 1)))
                  (br $vxl)))
                (local.set $yy (i32.add (local.get $yy) (i32.const 1)))
                (br $vyl)))
              (local.set $o (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $p) (local.get $Ho)) (local.get $i)) (local.get $Wo)) (local.get $j)) (i32.const 2)))
              (v128.store (i32.add (local.get $y) (local.get $o)) (local.get $vb))
              (v128.store (i32.add (local.get $arg) (local.get $o)) (i32x4.add (local.get $va) (i32x4.splat (local.get $base))))
              (local.set $j (i32.add (local.get $j) (i32.const 4)))
              (br $jl)))
          (local.set $x0 (i32.sub (i32.mul (local.get $j) (local.get $stride)) (local.get $pad)))
          (local.set $x1 (i32.add (local.get $x0) (local.get $kernel)))
          (if (i32.lt_s (local.get $x0) (i32.const 0)) (then (local.set $x0 (i32.const 0))))
          (if (i32.gt_s (local.get $x1) (local.get $W)) (then (local.set $x1 (local.get $W))))
          ;; The window's first value is taken as it is (even a NaN), as maxpool.ts's `at < 0` does.
          (local.set $at (i32.add (i32.add (local.get $plane) (i32.mul (local.get $y0) (local.get $W))) (local.get $x0)))
          (local.set $best (f32.load (i32.add (local.get $x) (i32.shl (local.get $at) (i32.const 2)))))
          (local.set $yy (local.get $y0))
          (block $yyDone (loop $yyl
            (br_if $yyDone (i32.ge_s (local.get $yy) (local.get $y1)))
            (local.set $xx (local.get $x0))
            (block $xxDone (loop $xxl
              (br_if $xxDone (i32.ge_s (local.get $xx) (local.get $x1)))
              (local.set $idx (i32.add (i32.add (local.get $plane) (i32.mul (local.get $yy) (local.get $W))) (local.get $xx)))
              (local.set $v (f32.load (i32.add (local.get $x) (i32.shl (local.get $idx) (i32.const 2)))))
              (local.set $gt (f32.gt (local.get $v) (local.get $best)))
              ;; An integer select on the bits (V8 compiles it to a conditional move; a float select it may branch on).
              (local.set $best (f32.reinterpret_i32 (select (i32.reinterpret_f32 (local.get $v)) (i32.reinterpret_f32 (local.get $best)) (local.get $gt))))
              (local.set $at (select (local.get $idx) (local.get $at) (local.get $gt)))
              (local.set $xx (i32.add (local.get $xx) (i32.const 1)))
              (br $xxl)))
            (local.set $yy (i32.add (local.get $yy) (i32.const 1)))
            (br $yyl)))
          (local.set $o (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $p) (local.get $Ho)) (local.get $i)) (local.get $Wo)) (local.get $j)) (i32.const 2)))
          (f32.store (i32.add (local.get $y) (local.get $o)) (local.get $best))
          (i32.store (i32.add (local.get $arg) (local.get $o)) (i32.add (local.get $base) (local.get $at)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $jl)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $il)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $pl))))
)
