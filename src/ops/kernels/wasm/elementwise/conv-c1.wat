;; The convolution of one-channel images (a network's first layer) run
;; directly, with its fused bias and ReLU, and its filter gradient.

;; A convolution of one-channel images, directly: no unrolled matrix, since
;; with c = 1 it would hold each pixel kh*kw times for a GEMM of depth kh*kw.
;; y[img, i, j, :] = sum over the window's in-bounds (a, b), in row-major
;; order, of x[img, i*s + a - pt, j*s + b - pl] * w[a, b, 0, :]; o % 4 == 0.
;; The sums run in the order im2col + GEMM gives them, from zero.
(func (export "conv_c1")
  (param $x i32) (param $w i32) (param $y i32)
  (param $n i32) (param $h i32) (param $wd i32) (param $kh i32) (param $kw i32)
  (param $stride i32) (param $padTop i32) (param $padLeft i32) (param $ho i32) (param $wo i32) (param $o i32)
  (local $img i32) (local $i i32) (local $j i32) (local $a i32) (local $b i32) (local $yy i32) (local $xx i32)
  (local $q i32) (local $yp i32) (local $wp i32) (local $rowBytes i32) (local $v v128)
  (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
  (local.set $rowBytes (i32.shl (local.get $o) (i32.const 2)))
  (local.set $yp (local.get $y))
  (block $nb (loop $nl
    (br_if $nb (i32.ge_u (local.get $img) (local.get $n)))
    (local.set $i (i32.const 0))
    (block $ib (loop $il
      (br_if $ib (i32.ge_u (local.get $i) (local.get $ho)))
      (local.set $j (i32.const 0))
      (block $jb (loop $jl
        (br_if $jb (i32.ge_u (local.get $j) (local.get $wo)))
        (if (i32.ne (local.get $o) (i32.const 16)) (then (call $zero (local.get $yp) (local.get $o))))
        (local.set $s0 (v128.const i32x4 0 0 0 0))
        (local.set $s1 (v128.const i32x4 0 0 0 0))
        (local.set $s2 (v128.const i32x4 0 0 0 0))
        (local.set $s3 (v128.const i32x4 0 0 0 0))
        (local.set $a (i32.const 0))
        (block $ab (loop $al
          (br_if $ab (i32.ge_u (local.get $a) (local.get $kh)))
          (local.set $yy (i32.sub (i32.add (i32.mul (local.get $i) (local.get $stride)) (local.get $a)) (local.get $padTop)))
          (if (i32.and (i32.ge_s (local.get $yy) (i32.const 0)) (i32.lt_s (local.get $yy) (local.get $h)))
            (then
              (local.set $b (i32.const 0))
              (block $bb (loop $bl
                (br_if $bb (i32.ge_u (local.get $b) (local.get $kw)))
                (local.set $xx (i32.sub (i32.add (i32.mul (local.get $j) (local.get $stride)) (local.get $b)) (local.get $padLeft)))
                (if (i32.and (i32.ge_s (local.get $xx) (i32.const 0)) (i32.lt_s (local.get $xx) (local.get $wd)))
                  (then
                    (local.set $v (f32x4.splat (f32.load (i32.add (local.get $x) (i32.shl
                      (i32.add (i32.mul (i32.add (i32.mul (local.get $img) (local.get $h)) (local.get $yy)) (local.get $wd)) (local.get $xx))
                      (i32.const 2))))))
                    (local.set $wp (i32.add (local.get $w) (i32.mul (i32.add (i32.mul (local.get $a) (local.get $kw)) (local.get $b)) (local.get $rowBytes))))
                    (if (i32.eq (local.get $o) (i32.const 16))
                      (then
                        ;; 16 filters (the seed network's conv1): the sums stay in registers.
                        (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $v) (v128.load offset=0 (local.get $wp)))))
                        (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (local.get $v) (v128.load offset=16 (local.get $wp)))))
                        (local.set $s2 (f32x4.add (local.get $s2) (f32x4.mul (local.get $v) (v128.load offset=32 (local.get $wp)))))
                        (local.set $s3 (f32x4.add (local.get $s3) (f32x4.mul (local.get $v) (v128.load offset=48 (local.get $wp))))))
                      (else
                        (local.set $q (i32.const 0))
                        (block $qb (loop $ql
                          (br_if $qb (i32.ge_u (local.get $q) (local.get $rowBytes)))
                          (v128.store (i32.add (local.get $yp) (local.get $q))
                            (f32x4.add (v128.load (i32.add (local.get $yp) (local.get $q)))
                                       (f32x4.mul (local.get $v) (v128.load (i32.add (local.get $wp) (local.get $q))))))
                          (local.set $q (i32.add (local.get $q) (i32.const 16)))
                          (br $ql)))))))
                (local.set $b (i32.add (local.get $b) (i32.const 1)))
                (br $bl)))))
          (local.set $a (i32.add (local.get $a) (i32.const 1)))
          (br $al)))
        (if (i32.eq (local.get $o) (i32.const 16))
          (then
            (v128.store offset=0 (local.get $yp) (local.get $s0))
            (v128.store offset=16 (local.get $yp) (local.get $s1))
            (v128.store offset=32 (local.get $yp) (local.get $s2))
            (v128.store offset=48 (local.get $yp) (local.get $s3))))
        (local.set $yp (i32.add (local.get $yp) (local.get $rowBytes)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $jl)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $il)))
    (local.set $img (i32.add (local.get $img) (i32.const 1)))
    (br $nl))))

;; conv_c1 with the bias (per channel, or untied: one per output value of
;; an image) and, when $relu, the ReLU: what conv_c1 then add_rows (or
;; add_rows_relu) give, bit for bit (the same sums in the same order, the
;; same adds), in one pass: the taps' in-bounds ranges are found once per
;; row and column, and the sums leave the registers only as results.
;; o % 4 == 0.
(func (export "conv_c1_bias")
  (param $x i32) (param $w i32) (param $bias i32) (param $y i32)
  (param $n i32) (param $h i32) (param $wd i32) (param $kh i32) (param $kw i32)
  (param $stride i32) (param $padTop i32) (param $padLeft i32) (param $ho i32) (param $wo i32) (param $o i32)
  (param $untied i32) (param $relu i32)
  (local $img i32) (local $i i32) (local $j i32) (local $a i32) (local $b i32) (local $c i32)
  (local $a0 i32) (local $a1 i32) (local $b0 i32) (local $b1 i32) (local $yy i32) (local $xx i32)
  (local $xrow i32) (local $xstep i32) (local $xp i32) (local $wp i32) (local $wc i32)
  (local $bp i32) (local $bc i32) (local $yp i32) (local $yc i32) (local $rowBytes i32)
  (local $v v128) (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
  (local.set $rowBytes (i32.shl (local.get $o) (i32.const 2)))
  (local.set $xstep (i32.shl (local.get $wd) (i32.const 2)))
  (local.set $yp (local.get $y))
  (block $nb (loop $nl
    (br_if $nb (i32.ge_u (local.get $img) (local.get $n)))
    (local.set $bp (local.get $bias))
    (local.set $i (i32.const 0))
    (block $ib (loop $il
      (br_if $ib (i32.ge_u (local.get $i) (local.get $ho)))
      ;; taps a in [a0, a1) land inside the image's rows
      (local.set $yy (i32.sub (i32.mul (local.get $i) (local.get $stride)) (local.get $padTop)))
      (local.set $a0 (select (i32.sub (i32.const 0) (local.get $yy)) (i32.const 0) (i32.lt_s (local.get $yy) (i32.const 0))))
      (local.set $a1 (select (i32.sub (local.get $h) (local.get $yy)) (local.get $kh) (i32.lt_s (i32.sub (local.get $h) (local.get $yy)) (local.get $kh))))
      (local.set $j (i32.const 0))
      (block $jb (loop $jl
        (br_if $jb (i32.ge_u (local.get $j) (local.get $wo)))
        (local.set $xx (i32.sub (i32.mul (local.get $j) (local.get $stride)) (local.get $padLeft)))
        (local.set $b0 (select (i32.sub (i32.const 0) (local.get $xx)) (i32.const 0) (i32.lt_s (local.get $xx) (i32.const 0))))
        (local.set $b1 (select (i32.sub (local.get $wd) (local.get $xx)) (local.get $kw) (i32.lt_s (i32.sub (local.get $wd) (local.get $xx)) (local.get $kw))))
        ;; x at (yy, xx): the tap (a, b) reads xrow + a rows + b
        (local.set $xrow (i32.add (local.get $x) (i32.shl
          (i32.add (i32.mul (i32.add (i32.mul (local.get $img) (local.get $h)) (local.get $yy)) (local.get $wd)) (local.get $xx))
          (i32.const 2))))
        (local.set $c (i32.const 0))
        ;; filters 16 at a time
        (block $gb16 (loop $gl16
          (br_if $gb16 (i32.gt_u (i32.add (local.get $c) (i32.const 16)) (local.get $o)))
          (local.set $wc (i32.add (local.get $w) (i32.shl (local.get $c) (i32.const 2))))
          (local.set $bc (i32.add (local.get $bp) (i32.shl (local.get $c) (i32.const 2))))
          (local.set $yc (i32.add (local.get $yp) (i32.shl (local.get $c) (i32.const 2))))
            (local.set $s0 (v128.const i32x4 0 0 0 0))
            (local.set $s1 (v128.const i32x4 0 0 0 0))
            (local.set $s2 (v128.const i32x4 0 0 0 0))
            (local.set $s3 (v128.const i32x4 0 0 0 0))
            (local.set $a (local.get $a0))
            (block $ab (loop $al
              (br_if $ab (i32.ge_u (local.get $a) (local.get $a1)))
              (local.set $xp (i32.add (local.get $xrow) (i32.mul (local.get $a) (local.get $xstep))))
              (local.set $wp (i32.add (local.get $wc) (i32.mul (i32.add (i32.mul (local.get $a) (local.get $kw)) (local.get $b0)) (local.get $rowBytes))))
              (local.set $b (local.get $b0))
              (block $bb (loop $bl
                (br_if $bb (i32.ge_u (local.get $b) (local.get $b1)))
                (local.set $v (v128.load32_splat (i32.add (local.get $xp) (i32.shl (local.get $b) (i32.const 2)))))
                    (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $v) (v128.load offset=0 (local.get $wp)))))
                    (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (local.get $v) (v128.load offset=16 (local.get $wp)))))
                    (local.set $s2 (f32x4.add (local.get $s2) (f32x4.mul (local.get $v) (v128.load offset=32 (local.get $wp)))))
                    (local.set $s3 (f32x4.add (local.get $s3) (f32x4.mul (local.get $v) (v128.load offset=48 (local.get $wp)))))
                (local.set $wp (i32.add (local.get $wp) (local.get $rowBytes)))
                (local.set $b (i32.add (local.get $b) (i32.const 1)))
                (br $bl)))
              (local.set $a (i32.add (local.get $a) (i32.const 1)))
              (br $al)))
            (local.set $s0 (f32x4.add (local.get $s0) (v128.load offset=0 (local.get $bc))))
            (if (local.get $relu) (then (local.set $s0 (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $s0)))))
            (v128.store offset=0 (local.get $yc) (local.get $s0))
            (local.set $s1 (f32x4.add (local.get $s1) (v128.load offset=16 (local.get $bc))))
            (if (local.get $relu) (then (local.set $s1 (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $s1)))))
            (v128.store offset=16 (local.get $yc) (local.get $s1))
            (local.set $s2 (f32x4.add (local.get $s2) (v128.load offset=32 (local.get $bc))))
            (if (local.get $relu) (then (local.set $s2 (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $s2)))))
            (v128.store offset=32 (local.get $yc) (local.get $s2))
            (local.set $s3 (f32x4.add (local.get $s3) (v128.load offset=48 (local.get $bc))))
            (if (local.get $relu) (then (local.set $s3 (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $s3)))))
            (v128.store offset=48 (local.get $yc) (local.get $s3))
          (local.set $c (i32.add (local.get $c) (i32.const 16)))
          (br $gl16)))
        ;; filters 4 at a time
        (block $gb4 (loop $gl4
          (br_if $gb4 (i32.gt_u (i32.add (local.get $c) (i32.const 4)) (local.get $o)))
          (local.set $wc (i32.add (local.get $w) (i32.shl (local.get $c) (i32.const 2))))
          (local.set $bc (i32.add (local.get $bp) (i32.shl (local.get $c) (i32.const 2))))
          (local.set $yc (i32.add (local.get $yp) (i32.shl (local.get $c) (i32.const 2))))
            (local.set $s0 (v128.const i32x4 0 0 0 0))
            (local.set $a (local.get $a0))
            (block $ab (loop $al
              (br_if $ab (i32.ge_u (local.get $a) (local.get $a1)))
              (local.set $xp (i32.add (local.get $xrow) (i32.mul (local.get $a) (local.get $xstep))))
              (local.set $wp (i32.add (local.get $wc) (i32.mul (i32.add (i32.mul (local.get $a) (local.get $kw)) (local.get $b0)) (local.get $rowBytes))))
              (local.set $b (local.get $b0))
              (block $bb (loop $bl
                (br_if $bb (i32.ge_u (local.get $b) (local.get $b1)))
                (local.set $v (v128.load32_splat (i32.add (local.get $xp) (i32.shl (local.get $b) (i32.const 2)))))
                    (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $v) (v128.load offset=0 (local.get $wp)))))
                (local.set $wp (i32.add (local.get $wp) (local.get $rowBytes)))
                (local.set $b (i32.add (local.get $b) (i32.const 1)))
                (br $bl)))
              (local.set $a (i32.add (local.get $a) (i32.const 1)))
              (br $al)))
            (local.set $s0 (f32x4.add (local.get $s0) (v128.load offset=0 (local.get $bc))))
            (if (local.get $relu) (then (local.set $s0 (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $s0)))))
            (v128.store offset=0 (local.get $yc) (local.get $s0))
          (local.set $c (i32.add (local.get $c) (i32.const 4)))
          (br $gl4)))
        (local.set $yp (i32.add (local.get $yp) (local.get $rowBytes)))
        (if (local.get $untied) (then (local.set $bp (i32.add (local.get $bp) (local.get $rowBytes)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $jl)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $il)))
    (local.set $img (i32.add (local.get $img) (i32.const 1)))
    (br $nl))))

;; The filter gradient of conv_c1 (overwrites dw): dw[a, b, 0, :] = sum over
;; images and output cells (i, j) with an in-bounds input of
;; x[img, i*s + a - pt, j*s + b - pl] * dy[img, i, j, :]; o % 4 == 0.
;; Per image and tap, the in-bounds rows [i0, i1) and columns [j0, j1) form a
;; rectangle. Its sum stays in registers, 16 filters at a time, then fours:
;; each row is summed on its own and then added to the image's sum, which is
;; added to dw once per image. Short sums round better than one long one, and
;; the image's dy (50 KB for 28x28x16) stays in cache across the kh*kw taps.
;; Not the rounding of im2col + GEMM, but float32-close to it.
(func (export "conv_c1_back_w")
  (param $x i32) (param $dy i32) (param $dw i32)
  (param $n i32) (param $h i32) (param $wd i32) (param $kh i32) (param $kw i32)
  (param $stride i32) (param $padTop i32) (param $padLeft i32) (param $ho i32) (param $wo i32) (param $o i32)
  (local $img i32) (local $a i32) (local $b i32) (local $y0 i32) (local $x0 i32)
  (local $i0 i32) (local $i1 i32) (local $j0 i32) (local $j1 i32) (local $i i32) (local $k i32) (local $q i32)
  (local $rowBytes i32) (local $xStep i32) (local $xRowStep i32) (local $dyRowStep i32) (local $dyImg i32) (local $xImg i32)
  (local $xs i32) (local $ds i32) (local $xp i32) (local $dp i32) (local $wp i32)
  (local $v v128) (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
  (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
  (local.set $rowBytes (i32.shl (local.get $o) (i32.const 2)))
  (local.set $xStep (i32.shl (local.get $stride) (i32.const 2)))
  (local.set $xRowStep (i32.shl (i32.mul (local.get $stride) (local.get $wd)) (i32.const 2)))
  (local.set $dyRowStep (i32.mul (local.get $wo) (local.get $rowBytes)))
  (call $zero (local.get $dw) (i32.mul (i32.mul (local.get $kh) (local.get $kw)) (local.get $o)))
  (local.set $dyImg (local.get $dy))
  (local.set $xImg (local.get $x))
  (block $nb (loop $nl
    (br_if $nb (i32.ge_u (local.get $img) (local.get $n)))
    (local.set $a (i32.const 0))
    (block $ab (loop $al
      (br_if $ab (i32.ge_u (local.get $a) (local.get $kh)))
      ;; input row of i = 0; the in-bounds rows by stepping (no division)
      (local.set $y0 (i32.sub (local.get $a) (local.get $padTop)))
      (local.set $i0 (i32.const 0))
      (block $eb (loop $el
        (br_if $eb (i32.ge_s (i32.add (i32.mul (local.get $i0) (local.get $stride)) (local.get $y0)) (i32.const 0)))
        (br_if $eb (i32.ge_s (local.get $i0) (local.get $ho)))
        (local.set $i0 (i32.add (local.get $i0) (i32.const 1)))
        (br $el)))
      (local.set $i1 (local.get $ho))
      (block $eb (loop $el
        (br_if $eb (i32.le_s (local.get $i1) (local.get $i0)))
        (br_if $eb (i32.lt_s (i32.add (i32.mul (i32.sub (local.get $i1) (i32.const 1)) (local.get $stride)) (local.get $y0)) (local.get $h)))
        (local.set $i1 (i32.sub (local.get $i1) (i32.const 1)))
        (br $el)))
      (local.set $b (i32.const 0))
      (block $bb (loop $bl
        (br_if $bb (i32.ge_u (local.get $b) (local.get $kw)))
        (local.set $x0 (i32.sub (local.get $b) (local.get $padLeft)))
        (local.set $j0 (i32.const 0))
        (block $eb (loop $el
          (br_if $eb (i32.ge_s (i32.add (i32.mul (local.get $j0) (local.get $stride)) (local.get $x0)) (i32.const 0)))
          (br_if $eb (i32.ge_s (local.get $j0) (local.get $wo)))
          (local.set $j0 (i32.add (local.get $j0) (i32.const 1)))
          (br $el)))
        (local.set $j1 (local.get $wo))
        (block $eb (loop $el
          (br_if $eb (i32.le_s (local.get $j1) (local.get $j0)))
          (br_if $eb (i32.lt_s (i32.add (i32.mul (i32.sub (local.get $j1) (i32.const 1)) (local.get $stride)) (local.get $x0)) (local.get $wd)))
          (local.set $j1 (i32.sub (local.get $j1) (i32.const 1)))
          (br $el)))
        (if (i32.and (i32.gt_s (local.get $i1) (local.get $i0)) (i32.gt_s (local.get $j1) (local.get $j0)))
          (then
            ;; the rectangle's first input cell and first dy row
            (local.set $xs (i32.add (local.get $xImg) (i32.shl
              (i32.add (i32.mul (i32.add (i32.mul (local.get $i0) (local.get $stride)) (local.get $y0)) (local.get $wd))
                       (i32.add (i32.mul (local.get $j0) (local.get $stride)) (local.get $x0)))
              (i32.const 2))))
            (local.set $ds (i32.add (local.get $dyImg)
              (i32.mul (i32.add (i32.mul (local.get $i0) (local.get $wo)) (local.get $j0)) (local.get $rowBytes))))
            (local.set $wp (i32.add (local.get $dw) (i32.mul (i32.add (i32.mul (local.get $a) (local.get $kw)) (local.get $b)) (local.get $rowBytes))))
            (local.set $q (i32.const 0))
            (block $qb (loop $ql
              (br_if $qb (i32.gt_u (i32.add (local.get $q) (i32.const 64)) (local.get $rowBytes)))
              (local.set $t0 (v128.const i32x4 0 0 0 0))
              (local.set $t1 (v128.const i32x4 0 0 0 0))
              (local.set $t2 (v128.const i32x4 0 0 0 0))
              (local.set $t3 (v128.const i32x4 0 0 0 0))
              (local.set $i (local.get $i0))
              (loop $il
                (local.set $s0 (v128.const i32x4 0 0 0 0))
                (local.set $s1 (v128.const i32x4 0 0 0 0))
                (local.set $s2 (v128.const i32x4 0 0 0 0))
                (local.set $s3 (v128.const i32x4 0 0 0 0))
                (local.set $xp (i32.add (local.get $xs) (i32.mul (i32.sub (local.get $i) (local.get $i0)) (local.get $xRowStep))))
                (local.set $dp (i32.add (i32.add (local.get $ds) (local.get $q)) (i32.mul (i32.sub (local.get $i) (local.get $i0)) (local.get $dyRowStep))))
                (local.set $k (i32.sub (local.get $j1) (local.get $j0)))
                (loop $kl
                  (local.set $v (f32x4.splat (f32.load (local.get $xp))))
                  (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $v) (v128.load offset=0 (local.get $dp)))))
                  (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (local.get $v) (v128.load offset=16 (local.get $dp)))))
                  (local.set $s2 (f32x4.add (local.get $s2) (f32x4.mul (local.get $v) (v128.load offset=32 (local.get $dp)))))
                  (local.set $s3 (f32x4.add (local.get $s3) (f32x4.mul (local.get $v) (v128.load offset=48 (local.get $dp)))))
                  (local.set $xp (i32.add (local.get $xp) (local.get $xStep)))
                  (local.set $dp (i32.add (local.get $dp) (local.get $rowBytes)))
                  (local.set $k (i32.sub (local.get $k) (i32.const 1)))
                  (br_if $kl (local.get $k)))
                (local.set $t0 (f32x4.add (local.get $t0) (local.get $s0)))
                (local.set $t1 (f32x4.add (local.get $t1) (local.get $s1)))
                (local.set $t2 (f32x4.add (local.get $t2) (local.get $s2)))
                (local.set $t3 (f32x4.add (local.get $t3) (local.get $s3)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $il (i32.lt_s (local.get $i) (local.get $i1))))
              (local.set $dp (i32.add (local.get $wp) (local.get $q)))
              (v128.store offset=0 (local.get $dp) (f32x4.add (v128.load offset=0 (local.get $dp)) (local.get $t0)))
              (v128.store offset=16 (local.get $dp) (f32x4.add (v128.load offset=16 (local.get $dp)) (local.get $t1)))
              (v128.store offset=32 (local.get $dp) (f32x4.add (v128.load offset=32 (local.get $dp)) (local.get $t2)))
              (v128.store offset=48 (local.get $dp) (f32x4.add (v128.load offset=48 (local.get $dp)) (local.get $t3)))
              (local.set $q (i32.add (local.get $q) (i32.const 64)))
              (br $ql)))
            (block $qb (loop $ql
              (br_if $qb (i32.ge_u (local.get $q) (local.get $rowBytes)))
              (local.set $t0 (v128.const i32x4 0 0 0 0))
              (local.set $i (local.get $i0))
              (loop $il
                (local.set $s0 (v128.const i32x4 0 0 0 0))
                (local.set $xp (i32.add (local.get $xs) (i32.mul (i32.sub (local.get $i) (local.get $i0)) (local.get $xRowStep))))
                (local.set $dp (i32.add (i32.add (local.get $ds) (local.get $q)) (i32.mul (i32.sub (local.get $i) (local.get $i0)) (local.get $dyRowStep))))
                (local.set $k (i32.sub (local.get $j1) (local.get $j0)))
                (loop $kl
                  (local.set $s0 (f32x4.add (local.get $s0)
                    (f32x4.mul (f32x4.splat (f32.load (local.get $xp))) (v128.load (local.get $dp)))))
                  (local.set $xp (i32.add (local.get $xp) (local.get $xStep)))
                  (local.set $dp (i32.add (local.get $dp) (local.get $rowBytes)))
                  (local.set $k (i32.sub (local.get $k) (i32.const 1)))
                  (br_if $kl (local.get $k)))
                (local.set $t0 (f32x4.add (local.get $t0) (local.get $s0)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $il (i32.lt_s (local.get $i) (local.get $i1))))
              (local.set $dp (i32.add (local.get $wp) (local.get $q)))
              (v128.store (local.get $dp) (f32x4.add (v128.load (local.get $dp)) (local.get $t0)))
              (local.set $q (i32.add (local.get $q) (i32.const 16)))
              (br $ql)))))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bl)))
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (br $al)))
    (local.set $dyImg (i32.add (local.get $dyImg) (i32.mul (local.get $ho) (local.get $dyRowStep))))
    (local.set $xImg (i32.add (local.get $xImg) (i32.shl (i32.mul (local.get $h) (local.get $wd)) (i32.const 2))))
    (local.set $img (i32.add (local.get $img) (i32.const 1)))
    (br $nl))))
