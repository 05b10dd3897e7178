;; im2col.ts's im2col (IM2COL) in WebAssembly: the same copy, item by item and
;; row by row, for float32 tensors. JavaScript's loop costs 2-3 ns an element
;; (each Float32Array load and store converts through float64 and is bounds
;; checked); here a row of a stride-1 window is copied four floats at a time.
;; Pure data movement: the columns are the JavaScript kernel's bit for bit
;; (spec/cpu/im2col-wasm.spec.ts).
;;
;; `im2col` fills the column rows of items from..to - 1, item t = r m + i for
;; row r = (c kH + u) kW + v of image i of a chunk of m images (im2col.ts's
;; numbering), from x's planes of the chunk's group copied to xAt as
;; [m][Cg][H][W] floats; item t's row segment of P = Ho Wo values goes to
;; colAt + 4 P (t - from):
;;   col[ii Wo + j] = x[i][c][ii stride - pad + u][j stride - pad + v], 0 outside the image.
;; The columns j whose pixel is inside the image, jLo <= j < jHi, are found
;; once per item (im2col.ts's firstInside and endInside).
;;
;; `col2im`, its adjoint (im2col.ts's COL2IM), adds the column entries of items
;; from..to - 1, item t = i Cg + c (input channel c of image i), back onto
;; their pixels: dx[i][c][ii stride - pad + u][j stride - pad + v] += col[(c kH + u) kW + v][i P + ii Wo + j],
;; over u, v, ii and j upwards, as the JavaScript kernel does (each pixel gets
;; at most one term per (u, v, ii), so four columns at a time add in the same
;; order: the same float32 sums bit for bit). Here the items' rows of the
;; columns are at colAt as [K][ld] (ld = images x P, image i - iA at (i - iA) P),
;; and the planes at dxAt as [images][Cg][H][W], image i - iA first.
;; Build: npm run build:wasm (wabt) writes the bytes to im2col-kernel.wasm.ts.
(module
  (memory (export "memory") 1)
  ;; im2col of items from..to-1 (item t = r m + i, r = (c kH + u) kW + v) of x [m][Cg][H][W] at xAt into col rows of P = Ho Wo at colAt.
  (func (export "im2col") (param $xAt i32) (param $colAt i32) (param $H i32) (param $W i32) (param $kH i32) (param $kW i32)
        (param $Ho i32) (param $Wo i32) (param $stride i32) (param $pad i32) (param $m i32) (param $Cg i32) (param $from i32) (param $to i32)
    (local $t i32) (local $r i32) (local $i i32) (local $c i32) (local $u i32) (local $v i32) (local $plane i32)
    (local $jLo i32) (local $jHi i32) (local $ii i32) (local $yy i32) (local $out i32) (local $src i32) (local $j i32) (local $kk i32) (local $n i32)
    (local.set $out (local.get $colAt))
    (local.set $kk (i32.mul (local.get $kH) (local.get $kW)))
    (local.set $t (local.get $from))
    (block $done (loop $item
      (br_if $done (i32.ge_u (local.get $t) (local.get $to)))
      (local.set $r (i32.div_u (local.get $t) (local.get $m)))
      (local.set $i (i32.sub (local.get $t) (i32.mul (local.get $r) (local.get $m))))
      (local.set $c (i32.div_u (local.get $r) (local.get $kk)))
      (local.set $u (i32.div_u (i32.sub (local.get $r) (i32.mul (local.get $c) (local.get $kk))) (local.get $kW)))
      (local.set $v (i32.sub (i32.sub (local.get $r) (i32.mul (local.get $c) (local.get $kk))) (i32.mul (local.get $u) (local.get $kW))))
      (local.set $plane (i32.add (local.get $xAt) (i32.shl (i32.mul (i32.add (i32.mul (local.get $i) (local.get $Cg)) (local.get $c)) (i32.mul (local.get $H) (local.get $W))) (i32.const 2))))
      ;; jLo = min(Wo, max(0, ceil((pad - v) / stride))); jHi = max(jLo, min(Wo, floor((W - 1 + pad - v) / stride) + 1))
      (local.set $jLo (i32.const 0))
      (if (i32.gt_s (i32.sub (local.get $pad) (local.get $v)) (i32.const 0))
        (then (local.set $jLo (i32.div_s (i32.add (i32.sub (local.get $pad) (local.get $v)) (i32.sub (local.get $stride) (i32.const 1))) (local.get $stride)))))
      (if (i32.gt_s (local.get $jLo) (local.get $Wo)) (then (local.set $jLo (local.get $Wo))))
      (local.set $n (i32.add (i32.sub (i32.add (local.get $W) (local.get $pad)) (local.get $v)) (i32.const -1)))
      (if (i32.lt_s (local.get $n) (i32.const 0))
        (then (local.set $jHi (i32.const 0)))
        (else (local.set $jHi (i32.add (i32.div_s (local.get $n) (local.get $stride)) (i32.const 1)))))
      (if (i32.gt_s (local.get $jHi) (local.get $Wo)) (then (local.set $jHi (local.get $Wo))))
      (if (i32.lt_s (local.get $jHi) (local.get $jLo)) (then (local.set $jHi (local.get $jLo))))
      (local.set $ii (i32.const 0))
      (block $rowsDone (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $ii) (local.get $Ho)))
        (local.set $yy (i32.add (i32.sub (i32.mul (local.get $ii) (local.get $stride)) (local.get $pad)) (local.get $u)))
        (if (i32.or (i32.lt_s (local.get $yy) (i32.const 0)) (i32.ge_s (local.get $yy) (local.get $H)))
          (then
            (local.set $j (i32.const 0))
            (block $z0 (loop $zl (br_if $z0 (i32.ge_u (local.get $j) (local.get $Wo)))
              (f32.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (f32.const 0))
              (local.set $j (i32.add (local.get $j) (i32.const 1))) (br $zl))))
          (else
            (local.set $j (i32.const 0))
            (block $z1 (loop $zl1 (br_if $z1 (i32.ge_u (local.get $j) (local.get $jLo)))
              (f32.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (f32.const 0))
              (local.set $j (i32.add (local.get $j) (i32.const 1))) (br $zl1)))
            ;; src = plane + 4 (yy W - pad + v + j stride)
            (local.set $src (i32.add (local.get $plane) (i32.shl (i32.add (i32.sub (i32.mul (local.get $yy) (local.get $W)) (local.get $pad)) (local.get $v)) (i32.const 2))))
            (if (i32.eq (local.get $stride) (i32.const 1))
              (then
                (block $c4 (loop $cl4 (br_if $c4 (i32.gt_s (i32.add (local.get $j) (i32.const 4)) (local.get $jHi)))
                  (v128.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (v128.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2)))))
                  (local.set $j (i32.add (local.get $j) (i32.const 4))) (br $cl4)))
                (block $c1 (loop $cl1 (br_if $c1 (i32.ge_s (local.get $j) (local.get $jHi)))
                  (f32.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (f32.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2)))))
                  (local.set $j (i32.add (local.get $j) (i32.const 1))) (br $cl1))))
              (else
                (block $cs (loop $cls (br_if $cs (i32.ge_s (local.get $j) (local.get $jHi)))
                  (f32.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (f32.load (i32.add (local.get $src) (i32.shl (i32.mul (local.get $j) (local.get $stride)) (i32.const 2)))))
                  (local.set $j (i32.add (local.get $j) (i32.const 1))) (br $cls)))))
            (block $z2 (loop $zl2 (br_if $z2 (i32.ge_u (local.get $j) (local.get $Wo)))
              (f32.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (f32.const 0))
              (local.set $j (i32.add (local.get $j) (i32.const 1))) (br $zl2)))))
        (local.set $out (i32.add (local.get $out) (i32.shl (local.get $Wo) (i32.const 2))))
        (local.set $ii (i32.add (local.get $ii) (i32.const 1)))
        (br $row)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $item)))
  )

  (func (export "col2im") (param $colAt i32) (param $dxAt i32) (param $H i32) (param $W i32) (param $kH i32) (param $kW i32)
        (param $Ho i32) (param $Wo i32) (param $stride i32) (param $pad i32) (param $Cg i32) (param $ld i32) (param $iA i32) (param $from i32) (param $to i32)
    (local $t i32) (local $i i32) (local $c i32) (local $u i32) (local $v i32) (local $plane i32) (local $row i32)
    (local $jLo i32) (local $jHi i32) (local $ii i32) (local $yy i32) (local $src i32) (local $dst i32) (local $j i32) (local $n i32) (local $P i32)
    (local.set $P (i32.mul (local.get $Ho) (local.get $Wo)))
    (local.set $t (local.get $from))
    (block $done (loop $item
      (br_if $done (i32.ge_u (local.get $t) (local.get $to)))
      (local.set $i (i32.div_u (local.get $t) (local.get $Cg)))
      (local.set $c (i32.sub (local.get $t) (i32.mul (local.get $i) (local.get $Cg))))
      (local.set $i (i32.sub (local.get $i) (local.get $iA)))
      (local.set $plane (i32.add (local.get $dxAt) (i32.shl (i32.mul (i32.add (i32.mul (local.get $i) (local.get $Cg)) (local.get $c)) (i32.mul (local.get $H) (local.get $W))) (i32.const 2))))
      (local.set $u (i32.const 0))
      (block $uDone (loop $uLoop
        (br_if $uDone (i32.ge_u (local.get $u) (local.get $kH)))
        (local.set $v (i32.const 0))
        (block $vDone (loop $vLoop
          (br_if $vDone (i32.ge_u (local.get $v) (local.get $kW)))
          ;; row = colAt + 4 (((c kH + u) kW + v) ld + i P)
          (local.set $row (i32.add (local.get $colAt) (i32.shl (i32.add
            (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $c) (local.get $kH)) (local.get $u)) (local.get $kW)) (local.get $v)) (local.get $ld))
            (i32.mul (local.get $i) (local.get $P))) (i32.const 2))))
          (local.set $jLo (i32.const 0))
          (if (i32.gt_s (i32.sub (local.get $pad) (local.get $v)) (i32.const 0))
            (then (local.set $jLo (i32.div_s (i32.add (i32.sub (local.get $pad) (local.get $v)) (i32.sub (local.get $stride) (i32.const 1))) (local.get $stride)))))
          (if (i32.gt_s (local.get $jLo) (local.get $Wo)) (then (local.set $jLo (local.get $Wo))))
          (local.set $n (i32.add (i32.sub (i32.add (local.get $W) (local.get $pad)) (local.get $v)) (i32.const -1)))
          (if (i32.lt_s (local.get $n) (i32.const 0))
            (then (local.set $jHi (i32.const 0)))
            (else (local.set $jHi (i32.add (i32.div_s (local.get $n) (local.get $stride)) (i32.const 1)))))
          (if (i32.gt_s (local.get $jHi) (local.get $Wo)) (then (local.set $jHi (local.get $Wo))))
          (if (i32.lt_s (local.get $jHi) (local.get $jLo)) (then (local.set $jHi (local.get $jLo))))
          (local.set $ii (i32.const 0))
          (block $rowsDone (loop $rows
            (br_if $rowsDone (i32.ge_u (local.get $ii) (local.get $Ho)))
            (local.set $yy (i32.add (i32.sub (i32.mul (local.get $ii) (local.get $stride)) (local.get $pad)) (local.get $u)))
            (if (i32.and (i32.ge_s (local.get $yy) (i32.const 0)) (i32.lt_s (local.get $yy) (local.get $H)))
              (then
                ;; dst = plane + 4 (yy W - pad + v), src = row + 4 ii Wo; element j at dst + 4 j stride, src + 4 j
                (local.set $dst (i32.add (local.get $plane) (i32.shl (i32.add (i32.sub (i32.mul (local.get $yy) (local.get $W)) (local.get $pad)) (local.get $v)) (i32.const 2))))
                (local.set $src (i32.add (local.get $row) (i32.shl (i32.mul (local.get $ii) (local.get $Wo)) (i32.const 2))))
                (local.set $j (local.get $jLo))
                (if (i32.eq (local.get $stride) (i32.const 1))
                  (then
                    (block $a4 (loop $al4 (br_if $a4 (i32.gt_s (i32.add (local.get $j) (i32.const 4)) (local.get $jHi)))
                      (v128.store (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 2)))
                        (f32x4.add (v128.load (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 2))))
                                   (v128.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2))))))
                      (local.set $j (i32.add (local.get $j) (i32.const 4))) (br $al4)))
                    (block $a1 (loop $al1 (br_if $a1 (i32.ge_s (local.get $j) (local.get $jHi)))
                      (f32.store (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 2)))
                        (f32.add (f32.load (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 2))))
                                 (f32.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2))))))
                      (local.set $j (i32.add (local.get $j) (i32.const 1))) (br $al1))))
                  (else
                    (block $as (loop $als (br_if $as (i32.ge_s (local.get $j) (local.get $jHi)))
                      (f32.store (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $j) (local.get $stride)) (i32.const 2)))
                        (f32.add (f32.load (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $j) (local.get $stride)) (i32.const 2))))
                                 (f32.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2))))))
                      (local.set $j (i32.add (local.get $j) (i32.const 1))) (br $als)))))))
            (local.set $ii (i32.add (local.get $ii) (i32.const 1)))
            (br $rows)))
          (local.set $v (i32.add (local.get $v) (i32.const 1)))
          (br $vLoop)))
        (local.set $u (i32.add (local.get $u) (i32.const 1)))
        (br $uLoop)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $item)))
  )
)
