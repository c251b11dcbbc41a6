;; Elementwise kernels with f32x4 SIMD: ReLU, broadcast add and column sums
;; (biases), both fused, im2col/col2im, the one-channel convolution and its
;; filter gradient, max pooling and the optimizer updates.
;; Pointers are byte offsets into the imported memory (heap.ts), counts are elements.
;; The host copies operands in, calls one function, and copies results out;
;; outputs may alias inputs (updates run in place on those private copies).
;; Every loop keeps the element order of the TypeScript kernels, so sums
;; round exactly as theirs do; conv_c1_back_w alone sums in its own order.
(module
  (import "env" "memory" (memory 1))

  ;; d[0..n) = s[0..n)
  (func $copy (param $d i32) (param $s i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $d) (i32.shl (local.get $n) (i32.const 2))))
    (block $b (loop $l
      (br_if $b (i32.gt_u (i32.add (local.get $d) (i32.const 16)) (local.get $end)))
      (v128.store (local.get $d) (v128.load (local.get $s)))
      (local.set $d (i32.add (local.get $d) (i32.const 16)))
      (local.set $s (i32.add (local.get $s) (i32.const 16)))
      (br $l)))
    (block $b (loop $l
      (br_if $b (i32.ge_u (local.get $d) (local.get $end)))
      (f32.store (local.get $d) (f32.load (local.get $s)))
      (local.set $d (i32.add (local.get $d) (i32.const 4)))
      (local.set $s (i32.add (local.get $s) (i32.const 4)))
      (br $l))))

  ;; d[0..n) += s[0..n)
  (func $addto (param $d i32) (param $s i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $d) (i32.shl (local.get $n) (i32.const 2))))
    (block $b (loop $l
      (br_if $b (i32.gt_u (i32.add (local.get $d) (i32.const 16)) (local.get $end)))
      (v128.store (local.get $d) (f32x4.add (v128.load (local.get $d)) (v128.load (local.get $s))))
      (local.set $d (i32.add (local.get $d) (i32.const 16)))
      (local.set $s (i32.add (local.get $s) (i32.const 16)))
      (br $l)))
    (block $b (loop $l
      (br_if $b (i32.ge_u (local.get $d) (local.get $end)))
      (f32.store (local.get $d) (f32.add (f32.load (local.get $d)) (f32.load (local.get $s))))
      (local.set $d (i32.add (local.get $d) (i32.const 4)))
      (local.set $s (i32.add (local.get $s) (i32.const 4)))
      (br $l))))

  ;; d[0..n) = 0
  (func $zero (param $d i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $d) (i32.shl (local.get $n) (i32.const 2))))
    (block $b (loop $l
      (br_if $b (i32.gt_u (i32.add (local.get $d) (i32.const 16)) (local.get $end)))
      (v128.store (local.get $d) (v128.const i32x4 0 0 0 0))
      (local.set $d (i32.add (local.get $d) (i32.const 16)))
      (br $l)))
    (block $b (loop $l
      (br_if $b (i32.ge_u (local.get $d) (local.get $end)))
      (f32.store (local.get $d) (f32.const 0))
      (local.set $d (i32.add (local.get $d) (i32.const 4)))
      (br $l))))

  ;; y = x > 0 ? x : 0 (pmax(0, x) is exactly that, NaN and -0 included)
  (func (export "relu") (param $x i32) (param $y i32) (param $n i32)
    (local $end i32) (local $v f32)
    (local.set $end (i32.add (local.get $y) (i32.shl (local.get $n) (i32.const 2))))
    (block $b (loop $l
      (br_if $b (i32.gt_u (i32.add (local.get $y) (i32.const 16)) (local.get $end)))
      (v128.store (local.get $y) (f32x4.pmax (v128.const f32x4 0 0 0 0) (v128.load (local.get $x))))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (br $l)))
    (block $b (loop $l
      (br_if $b (i32.ge_u (local.get $y) (local.get $end)))
      (local.set $v (f32.load (local.get $x)))
      (f32.store (local.get $y) (select (local.get $v) (f32.const 0) (f32.gt (local.get $v) (f32.const 0))))
      (local.set $y (i32.add (local.get $y) (i32.const 4)))
      (local.set $x (i32.add (local.get $x) (i32.const 4)))
      (br $l))))

  ;; dx = y > 0 ? dy : 0
  (func (export "relu_back") (param $y i32) (param $dy i32) (param $dx i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $dx) (i32.shl (local.get $n) (i32.const 2))))
    (block $b (loop $l
      (br_if $b (i32.gt_u (i32.add (local.get $dx) (i32.const 16)) (local.get $end)))
      (v128.store (local.get $dx)
        (v128.and (v128.load (local.get $dy)) (f32x4.gt (v128.load (local.get $y)) (v128.const f32x4 0 0 0 0))))
      (local.set $dx (i32.add (local.get $dx) (i32.const 16)))
      (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (br $l)))
    (block $b (loop $l
      (br_if $b (i32.ge_u (local.get $dx) (local.get $end)))
      (f32.store (local.get $dx)
        (select (f32.load (local.get $dy)) (f32.const 0) (f32.gt (f32.load (local.get $y)) (f32.const 0))))
      (local.set $dx (i32.add (local.get $dx) (i32.const 4)))
      (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
      (local.set $y (i32.add (local.get $y) (i32.const 4)))
      (br $l))))

  ;; y[r, :] = x[r, :] + b for each of rows rows of length m
  (func (export "add_rows") (param $x i32) (param $b i32) (param $y i32) (param $rows i32) (param $m i32)
    (local $r i32) (local $j i32) (local $bp i32)
    (block $rb (loop $rl
      (br_if $rb (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $bp (local.get $b))
      (local.set $j (i32.const 0))
      (block $b1 (loop $l
        (br_if $b1 (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $m)))
        (v128.store (local.get $y) (f32x4.add (v128.load (local.get $x)) (v128.load (local.get $bp))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $bp (i32.add (local.get $bp) (i32.const 16)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $l)))
      (block $b1 (loop $l
        (br_if $b1 (i32.ge_u (local.get $j) (local.get $m)))
        (f32.store (local.get $y) (f32.add (f32.load (local.get $x)) (f32.load (local.get $bp))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $bp (i32.add (local.get $bp) (i32.const 4)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $l)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl))))

  ;; db = sum over rows of dy[r, :], row by row; db starts zeroed by the host
  (func (export "sum_rows") (param $dy i32) (param $db i32) (param $rows i32) (param $m i32)
    (local $r i32)
    (block $rb (loop $rl
      (br_if $rb (i32.ge_u (local.get $r) (local.get $rows)))
      (call $addto (local.get $db) (local.get $dy) (local.get $m))
      (local.set $dy (i32.add (local.get $dy) (i32.shl (local.get $m) (i32.const 2))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl))))

  ;; add_rows then relu in one pass: the same two roundings, one trip through memory.
  (func (export "add_rows_relu") (param $x i32) (param $b i32) (param $y i32) (param $rows i32) (param $m i32)
    (local $r i32) (local $j i32) (local $bp i32) (local $v f32)
    (block $rb (loop $rl
      (br_if $rb (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $bp (local.get $b))
      (local.set $j (i32.const 0))
      (block $b1 (loop $l
        (br_if $b1 (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $m)))
        (v128.store (local.get $y)
          (f32x4.pmax (v128.const f32x4 0 0 0 0) (f32x4.add (v128.load (local.get $x)) (v128.load (local.get $bp)))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $bp (i32.add (local.get $bp) (i32.const 16)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $l)))
      (block $b1 (loop $l
        (br_if $b1 (i32.ge_u (local.get $j) (local.get $m)))
        (local.set $v (f32.add (f32.load (local.get $x)) (f32.load (local.get $bp))))
        (f32.store (local.get $y) (select (local.get $v) (f32.const 0) (f32.gt (local.get $v) (f32.const 0))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $bp (i32.add (local.get $bp) (i32.const 4)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $l)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl))))

  ;; relu_back then sum_rows in one pass: db[j] += dx[r, j] row by row, as sum_rows
  ;; adds, so the sums round the same. db starts zeroed by the host.
  (func (export "relu_back_sum") (param $y i32) (param $dy i32) (param $dx i32) (param $db i32) (param $rows i32) (param $m i32)
    (local $r i32) (local $j i32) (local $bp i32) (local $d v128) (local $s f32)
    (block $rb (loop $rl
      (br_if $rb (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $bp (local.get $db))
      (local.set $j (i32.const 0))
      (block $b1 (loop $l
        (br_if $b1 (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $m)))
        (local.set $d (v128.and (v128.load (local.get $dy)) (f32x4.gt (v128.load (local.get $y)) (v128.const f32x4 0 0 0 0))))
        (v128.store (local.get $dx) (local.get $d))
        (v128.store (local.get $bp) (f32x4.add (v128.load (local.get $bp)) (local.get $d)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
        (local.set $dx (i32.add (local.get $dx) (i32.const 16)))
        (local.set $bp (i32.add (local.get $bp) (i32.const 16)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $l)))
      (block $b1 (loop $l
        (br_if $b1 (i32.ge_u (local.get $j) (local.get $m)))
        (local.set $s (select (f32.load (local.get $dy)) (f32.const 0) (f32.gt (f32.load (local.get $y)) (f32.const 0))))
        (f32.store (local.get $dx) (local.get $s))
        (f32.store (local.get $bp) (f32.add (f32.load (local.get $bp)) (local.get $s)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
        (local.set $dx (i32.add (local.get $dx) (i32.const 4)))
        (local.set $bp (i32.add (local.get $bp) (i32.const 4)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $l)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl))))

  ;; im2col when gather, else col2im (image += rows, image zeroed by the host).
  ;; Per output cell and filter row, the in-bounds kx form one contiguous run
  ;; in both the image and the row, moved in one go.
  (func (export "unroll")
    (param $img i32) (param $cols i32) (param $gather i32)
    (param $n i32) (param $h i32) (param $w i32) (param $c i32) (param $kh i32) (param $kw i32)
    (param $stride i32) (param $padTop i32) (param $padLeft i32) (param $ho i32) (param $wo i32)
    (local $b i32) (local $oy i32) (local $ox i32) (local $ky i32) (local $iy i32)
    (local $q i32) (local $kx0 i32) (local $kx1 i32) (local $x0 i32) (local $src i32) (local $seg i32)
    (local.set $seg (i32.mul (local.get $kw) (local.get $c)))
    (local.set $q (local.get $cols))
    (block $bb (loop $bl
      (br_if $bb (i32.ge_u (local.get $b) (local.get $n)))
      (local.set $oy (i32.const 0))
      (block $yb (loop $yl
        (br_if $yb (i32.ge_u (local.get $oy) (local.get $ho)))
        (local.set $ox (i32.const 0))
        (block $xb (loop $xl
          (br_if $xb (i32.ge_u (local.get $ox) (local.get $wo)))
          ;; ix = x0 + kx; valid kx in [kx0, kx1)
          (local.set $x0 (i32.sub (i32.mul (local.get $ox) (local.get $stride)) (local.get $padLeft)))
          (local.set $kx0 (select (i32.sub (i32.const 0) (local.get $x0)) (i32.const 0) (i32.lt_s (local.get $x0) (i32.const 0))))
          (local.set $kx1 (i32.sub (local.get $w) (local.get $x0)))
          (if (i32.gt_s (local.get $kx1) (local.get $kw)) (then (local.set $kx1 (local.get $kw))))
          (if (i32.lt_s (local.get $kx1) (local.get $kx0)) (then (local.set $kx1 (local.get $kx0))))
          (local.set $ky (i32.const 0))
          (block $kb (loop $kl
            (br_if $kb (i32.ge_u (local.get $ky) (local.get $kh)))
            (local.set $iy (i32.sub (i32.add (i32.mul (local.get $oy) (local.get $stride)) (local.get $ky)) (local.get $padTop)))
            (if (i32.and (i32.ge_s (local.get $iy) (i32.const 0)) (i32.lt_s (local.get $iy) (local.get $h)))
              (then
                (local.set $src (i32.add (local.get $img) (i32.shl
                  (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (local.get $iy)) (local.get $w))
                                    (i32.add (local.get $x0) (local.get $kx0))) (local.get $c))
                  (i32.const 2))))
                (if (local.get $gather)
                  (then
                    (call $zero (local.get $q) (i32.mul (local.get $kx0) (local.get $c)))
                    (call $copy
                      (i32.add (local.get $q) (i32.shl (i32.mul (local.get $kx0) (local.get $c)) (i32.const 2)))
                      (local.get $src)
                      (i32.mul (i32.sub (local.get $kx1) (local.get $kx0)) (local.get $c)))
                    (call $zero
                      (i32.add (local.get $q) (i32.shl (i32.mul (local.get $kx1) (local.get $c)) (i32.const 2)))
                      (i32.mul (i32.sub (local.get $kw) (local.get $kx1)) (local.get $c))))
                  (else
                    (call $addto
                      (local.get $src)
                      (i32.add (local.get $q) (i32.shl (i32.mul (local.get $kx0) (local.get $c)) (i32.const 2)))
                      (i32.mul (i32.sub (local.get $kx1) (local.get $kx0)) (local.get $c))))))
              (else
                (if (local.get $gather) (then (call $zero (local.get $q) (local.get $seg))))))
            (local.set $q (i32.add (local.get $q) (i32.shl (local.get $seg) (i32.const 2))))
            (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
            (br $kl)))
          (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
          (br $xl)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $yl)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl))))

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

  ;; Max over windows. A lane takes a cell when it is strictly greater, so ties
  ;; keep the first maximum; am holds the input index, or -1 for a padded cell.
  ;; The running maxima and argmaxes of 8 channels at a time stay in registers
  ;; over the window (two independent chains share the pointer steps; wider
  ;; measured slower), then fours, then single channels. Windows wholly inside
  ;; the image skip the bounds checks. f32x4.pmax(m, v) is exactly
  ;; (v > m ? v : m), NaN included; comparing the first cell again changes nothing.
  (func (export "max_pool")
    (param $x i32) (param $y i32) (param $am i32)
    (param $n i32) (param $h i32) (param $w i32) (param $c i32) (param $kh i32) (param $kw i32)
    (param $stride i32) (param $padTop i32) (param $padLeft i32) (param $ho i32) (param $wo i32) (param $pad f32)
    (local $b i32) (local $oy i32) (local $ox i32) (local $iy0 i32) (local $ix0 i32) (local $full i32)
    (local $ky i32) (local $kx i32) (local $iy i32) (local $ix i32) (local $i0 i32) (local $ci i32)
    (local $p i32) (local $yp i32) (local $ap i32) (local $colB i32) (local $skipB i32) (local $first i32) (local $inside i32)
    (local $m0 v128) (local $a0 v128) (local $m1 v128) (local $a1 v128) (local $v v128) (local $idx v128) (local $gt v128) (local $cand v128)
    (local $colV v128) (local $skipV v128) (local $padV v128)
    (local $ms f32) (local $as i32) (local $s f32) (local $si i32)
    ;; an empty window stores nothing (as before)
    (if (i32.eqz (i32.mul (local.get $kh) (local.get $kw))) (then (return)))
    (local.set $colB (i32.shl (local.get $c) (i32.const 2)))
    (local.set $colV (i32x4.splat (local.get $c)))
    (local.set $skipV (i32x4.splat (i32.mul (i32.sub (local.get $w) (local.get $kw)) (local.get $c))))
    (local.set $skipB (i32.shl (i32.mul (i32.sub (local.get $w) (local.get $kw)) (local.get $c)) (i32.const 2)))
    (local.set $padV (f32x4.splat (local.get $pad)))
    (local.set $yp (local.get $y))
    (local.set $ap (local.get $am))
    (block $bb (loop $bl
      (br_if $bb (i32.ge_u (local.get $b) (local.get $n)))
      (local.set $oy (i32.const 0))
      (block $yb (loop $yl
        (br_if $yb (i32.ge_u (local.get $oy) (local.get $ho)))
        (local.set $iy0 (i32.sub (i32.mul (local.get $oy) (local.get $stride)) (local.get $padTop)))
        (local.set $ox (i32.const 0))
        (block $xb (loop $xl
          (br_if $xb (i32.ge_u (local.get $ox) (local.get $wo)))
          (local.set $ix0 (i32.sub (i32.mul (local.get $ox) (local.get $stride)) (local.get $padLeft)))
          (local.set $full (i32.and
            (i32.and (i32.ge_s (local.get $iy0) (i32.const 0)) (i32.le_s (i32.add (local.get $iy0) (local.get $kh)) (local.get $h)))
            (i32.and (i32.ge_s (local.get $ix0) (i32.const 0)) (i32.le_s (i32.add (local.get $ix0) (local.get $kw)) (local.get $w)))))
          ;; input index of the window's top-left cell, channel 0 (out of range when the cell is padding)
          (local.set $i0 (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (local.get $iy0)) (local.get $w)) (local.get $ix0)) (local.get $c)))
          (local.set $ci (i32.const 0))
          (block $cb (loop $cl
            (br_if $cb (i32.gt_u (i32.add (local.get $ci) (i32.const 8)) (local.get $c)))
            (if (local.get $full)
              (then
                (local.set $p (i32.add (local.get $x) (i32.shl (i32.add (local.get $i0) (local.get $ci)) (i32.const 2))))
                (local.set $idx (i32x4.add (i32x4.splat (i32.add (local.get $i0) (local.get $ci))) (v128.const i32x4 0 1 2 3)))
                (local.set $m0 (v128.load offset=0 (local.get $p)))
                (local.set $a0 (local.get $idx))
                (local.set $m1 (v128.load offset=16 (local.get $p)))
                (local.set $a1 (i32x4.add (local.get $idx) (v128.const i32x4 4 4 4 4)))
                ;; indices here are >= 0 and grow cell by cell, so (gt ? idx : a) is max_s(a, idx & gt)
                (local.set $ky (local.get $kh))
                (loop $kyl
                  (local.set $kx (local.get $kw))
                  (loop $kxl
                    (local.set $v (v128.load offset=0 (local.get $p)))
                    (local.set $gt (f32x4.gt (local.get $v) (local.get $m0)))
                    (local.set $m0 (f32x4.pmax (local.get $m0) (local.get $v)))
                    (local.set $a0 (i32x4.max_s (local.get $a0) (v128.and (local.get $idx) (local.get $gt))))
                    (local.set $v (v128.load offset=16 (local.get $p)))
                    (local.set $gt (f32x4.gt (local.get $v) (local.get $m1)))
                    (local.set $m1 (f32x4.pmax (local.get $m1) (local.get $v)))
                    (local.set $a1 (i32x4.max_s (local.get $a1) (v128.and (i32x4.add (local.get $idx) (v128.const i32x4 4 4 4 4)) (local.get $gt))))
                    (local.set $p (i32.add (local.get $p) (local.get $colB)))
                    (local.set $idx (i32x4.add (local.get $idx) (local.get $colV)))
                    (local.set $kx (i32.sub (local.get $kx) (i32.const 1)))
                    (br_if $kxl (local.get $kx)))
                  (local.set $p (i32.add (local.get $p) (local.get $skipB)))
                  (local.set $idx (i32x4.add (local.get $idx) (local.get $skipV)))
                  (local.set $ky (i32.sub (local.get $ky) (i32.const 1)))
                  (br_if $kyl (local.get $ky)))
                (v128.store offset=0 (local.get $yp) (local.get $m0))
                (v128.store offset=0 (local.get $ap) (local.get $a0))
                (v128.store offset=16 (local.get $yp) (local.get $m1))
                (v128.store offset=16 (local.get $ap) (local.get $a1)))
              (else
                ;; the window reaches into the padding: bounds checked per cell
                (local.set $p (i32.add (local.get $x) (i32.shl (i32.add (local.get $i0) (local.get $ci)) (i32.const 2))))
                (local.set $idx (i32x4.add (i32x4.splat (i32.add (local.get $i0) (local.get $ci))) (v128.const i32x4 0 1 2 3)))
                (local.set $first (i32.const 1))
                (local.set $iy (local.get $iy0))
                (local.set $ky (local.get $kh))
                (loop $kyl
                  (local.set $ix (local.get $ix0))
                  (local.set $kx (local.get $kw))
                  (loop $kxl
                    (local.set $inside (i32.and
                      (i32.and (i32.ge_s (local.get $iy) (i32.const 0)) (i32.lt_s (local.get $iy) (local.get $h)))
                      (i32.and (i32.ge_s (local.get $ix) (i32.const 0)) (i32.lt_s (local.get $ix) (local.get $w)))))
                    (if (local.get $inside)
                      (then (local.set $v (v128.load offset=0 (local.get $p))) (local.set $cand (local.get $idx)))
                      (else (local.set $v (local.get $padV)) (local.set $cand (v128.const i32x4 -1 -1 -1 -1))))
                    (if (local.get $first) (then (local.set $m0 (local.get $v)) (local.set $a0 (local.get $cand))))
                    (local.set $a0 (v128.bitselect (local.get $cand) (local.get $a0) (f32x4.gt (local.get $v) (local.get $m0))))
                    (local.set $m0 (f32x4.pmax (local.get $m0) (local.get $v)))
                    (if (local.get $inside)
                      (then (local.set $v (v128.load offset=16 (local.get $p))) (local.set $cand (i32x4.add (local.get $idx) (v128.const i32x4 4 4 4 4))))
                      (else (local.set $v (local.get $padV)) (local.set $cand (v128.const i32x4 -1 -1 -1 -1))))
                    (if (local.get $first) (then (local.set $m1 (local.get $v)) (local.set $a1 (local.get $cand))))
                    (local.set $a1 (v128.bitselect (local.get $cand) (local.get $a1) (f32x4.gt (local.get $v) (local.get $m1))))
                    (local.set $m1 (f32x4.pmax (local.get $m1) (local.get $v)))
                    (local.set $first (i32.const 0))
                    (local.set $p (i32.add (local.get $p) (local.get $colB)))
                    (local.set $idx (i32x4.add (local.get $idx) (local.get $colV)))
                    (local.set $ix (i32.add (local.get $ix) (i32.const 1)))
                    (local.set $kx (i32.sub (local.get $kx) (i32.const 1)))
                    (br_if $kxl (local.get $kx)))
                  (local.set $p (i32.add (local.get $p) (local.get $skipB)))
                  (local.set $idx (i32x4.add (local.get $idx) (local.get $skipV)))
                  (local.set $iy (i32.add (local.get $iy) (i32.const 1)))
                  (local.set $ky (i32.sub (local.get $ky) (i32.const 1)))
                  (br_if $kyl (local.get $ky)))
                (v128.store offset=0 (local.get $yp) (local.get $m0))
                (v128.store offset=0 (local.get $ap) (local.get $a0))
                (v128.store offset=16 (local.get $yp) (local.get $m1))
                (v128.store offset=16 (local.get $ap) (local.get $a1))))
            (local.set $yp (i32.add (local.get $yp) (i32.const 32)))
            (local.set $ap (i32.add (local.get $ap) (i32.const 32)))
            (local.set $ci (i32.add (local.get $ci) (i32.const 8)))
            (br $cl)))
          (block $cb (loop $cl
            (br_if $cb (i32.gt_u (i32.add (local.get $ci) (i32.const 4)) (local.get $c)))
            (if (local.get $full)
              (then
                (local.set $p (i32.add (local.get $x) (i32.shl (i32.add (local.get $i0) (local.get $ci)) (i32.const 2))))
                (local.set $idx (i32x4.add (i32x4.splat (i32.add (local.get $i0) (local.get $ci))) (v128.const i32x4 0 1 2 3)))
                (local.set $m0 (v128.load offset=0 (local.get $p)))
                (local.set $a0 (local.get $idx))
                ;; indices here are >= 0 and grow cell by cell, so (gt ? idx : a) is max_s(a, idx & gt)
                (local.set $ky (local.get $kh))
                (loop $kyl
                  (local.set $kx (local.get $kw))
                  (loop $kxl
                    (local.set $v (v128.load offset=0 (local.get $p)))
                    (local.set $gt (f32x4.gt (local.get $v) (local.get $m0)))
                    (local.set $m0 (f32x4.pmax (local.get $m0) (local.get $v)))
                    (local.set $a0 (i32x4.max_s (local.get $a0) (v128.and (local.get $idx) (local.get $gt))))
                    (local.set $p (i32.add (local.get $p) (local.get $colB)))
                    (local.set $idx (i32x4.add (local.get $idx) (local.get $colV)))
                    (local.set $kx (i32.sub (local.get $kx) (i32.const 1)))
                    (br_if $kxl (local.get $kx)))
                  (local.set $p (i32.add (local.get $p) (local.get $skipB)))
                  (local.set $idx (i32x4.add (local.get $idx) (local.get $skipV)))
                  (local.set $ky (i32.sub (local.get $ky) (i32.const 1)))
                  (br_if $kyl (local.get $ky)))
                (v128.store offset=0 (local.get $yp) (local.get $m0))
                (v128.store offset=0 (local.get $ap) (local.get $a0)))
              (else
                ;; the window reaches into the padding: bounds checked per cell
                (local.set $p (i32.add (local.get $x) (i32.shl (i32.add (local.get $i0) (local.get $ci)) (i32.const 2))))
                (local.set $idx (i32x4.add (i32x4.splat (i32.add (local.get $i0) (local.get $ci))) (v128.const i32x4 0 1 2 3)))
                (local.set $first (i32.const 1))
                (local.set $iy (local.get $iy0))
                (local.set $ky (local.get $kh))
                (loop $kyl
                  (local.set $ix (local.get $ix0))
                  (local.set $kx (local.get $kw))
                  (loop $kxl
                    (local.set $inside (i32.and
                      (i32.and (i32.ge_s (local.get $iy) (i32.const 0)) (i32.lt_s (local.get $iy) (local.get $h)))
                      (i32.and (i32.ge_s (local.get $ix) (i32.const 0)) (i32.lt_s (local.get $ix) (local.get $w)))))
                    (if (local.get $inside)
                      (then (local.set $v (v128.load offset=0 (local.get $p))) (local.set $cand (local.get $idx)))
                      (else (local.set $v (local.get $padV)) (local.set $cand (v128.const i32x4 -1 -1 -1 -1))))
                    (if (local.get $first) (then (local.set $m0 (local.get $v)) (local.set $a0 (local.get $cand))))
                    (local.set $a0 (v128.bitselect (local.get $cand) (local.get $a0) (f32x4.gt (local.get $v) (local.get $m0))))
                    (local.set $m0 (f32x4.pmax (local.get $m0) (local.get $v)))
                    (local.set $first (i32.const 0))
                    (local.set $p (i32.add (local.get $p) (local.get $colB)))
                    (local.set $idx (i32x4.add (local.get $idx) (local.get $colV)))
                    (local.set $ix (i32.add (local.get $ix) (i32.const 1)))
                    (local.set $kx (i32.sub (local.get $kx) (i32.const 1)))
                    (br_if $kxl (local.get $kx)))
                  (local.set $p (i32.add (local.get $p) (local.get $skipB)))
                  (local.set $idx (i32x4.add (local.get $idx) (local.get $skipV)))
                  (local.set $iy (i32.add (local.get $iy) (i32.const 1)))
                  (local.set $ky (i32.sub (local.get $ky) (i32.const 1)))
                  (br_if $kyl (local.get $ky)))
                (v128.store offset=0 (local.get $yp) (local.get $m0))
                (v128.store offset=0 (local.get $ap) (local.get $a0))))
            (local.set $yp (i32.add (local.get $yp) (i32.const 16)))
            (local.set $ap (i32.add (local.get $ap) (i32.const 16)))
            (local.set $ci (i32.add (local.get $ci) (i32.const 4)))
            (br $cl)))
          ;; the last c % 4 channels one at a time, bounds checked per cell
          (block $cb (loop $cl
            (br_if $cb (i32.ge_u (local.get $ci) (local.get $c)))
            (local.set $first (i32.const 1))
            (local.set $ky (i32.const 0))
            (loop $kyl
              (local.set $iy (i32.add (local.get $iy0) (local.get $ky)))
              (local.set $kx (i32.const 0))
              (loop $kxl
                (local.set $ix (i32.add (local.get $ix0) (local.get $kx)))
                (local.set $inside (i32.and
                  (i32.and (i32.ge_s (local.get $iy) (i32.const 0)) (i32.lt_s (local.get $iy) (local.get $h)))
                  (i32.and (i32.ge_s (local.get $ix) (i32.const 0)) (i32.lt_s (local.get $ix) (local.get $w)))))
                (if (local.get $inside)
                  (then
                    (local.set $si (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (local.get $iy)) (local.get $w)) (local.get $ix)) (local.get $c)) (local.get $ci)))
                    (local.set $s (f32.load (i32.add (local.get $x) (i32.shl (local.get $si) (i32.const 2))))))
                  (else
                    (local.set $si (i32.const -1))
                    (local.set $s (local.get $pad))))
                (if (i32.or (local.get $first) (f32.gt (local.get $s) (local.get $ms)))
                  (then
                    (local.set $ms (local.get $s))
                    (local.set $as (local.get $si))))
                (local.set $first (i32.const 0))
                (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
                (br_if $kxl (i32.lt_u (local.get $kx) (local.get $kw))))
              (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
              (br_if $kyl (i32.lt_u (local.get $ky) (local.get $kh))))
            (f32.store (local.get $yp) (local.get $ms))
            (i32.store (local.get $ap) (local.get $as))
            (local.set $yp (i32.add (local.get $yp) (i32.const 4)))
            (local.set $ap (i32.add (local.get $ap) (i32.const 4)))
            (local.set $ci (i32.add (local.get $ci) (i32.const 1)))
            (br $cl)))
          (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
          (br $xl)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $yl)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl))))

  ;; dx[am[i]] += dy[i] where am[i] >= 0, in order; dx zeroed by the host.
  ;; Four at a time: one test that all four have a target, then four plain
  ;; adds, still in order (a cell can be the target of neighbouring windows).
  (func (export "max_pool_back") (param $am i32) (param $dy i32) (param $dx i32) (param $count i32)
    (local $end i32) (local $a i32) (local $p i32) (local $av v128) (local $dv v128)
    (local.set $end (i32.add (local.get $am) (i32.shl (local.get $count) (i32.const 2))))
    (block $b (loop $l
      (br_if $b (i32.gt_u (i32.add (local.get $am) (i32.const 16)) (local.get $end)))
      (local.set $av (v128.load (local.get $am)))
      (local.set $dv (v128.load (local.get $dy)))
      (if (i32.eqz (i32x4.bitmask (local.get $av)))
        (then
          (local.set $p (i32.add (local.get $dx) (i32.shl (i32x4.extract_lane 0 (local.get $av)) (i32.const 2))))
          (f32.store (local.get $p) (f32.add (f32.load (local.get $p)) (f32x4.extract_lane 0 (local.get $dv))))
          (local.set $p (i32.add (local.get $dx) (i32.shl (i32x4.extract_lane 1 (local.get $av)) (i32.const 2))))
          (f32.store (local.get $p) (f32.add (f32.load (local.get $p)) (f32x4.extract_lane 1 (local.get $dv))))
          (local.set $p (i32.add (local.get $dx) (i32.shl (i32x4.extract_lane 2 (local.get $av)) (i32.const 2))))
          (f32.store (local.get $p) (f32.add (f32.load (local.get $p)) (f32x4.extract_lane 2 (local.get $dv))))
          (local.set $p (i32.add (local.get $dx) (i32.shl (i32x4.extract_lane 3 (local.get $av)) (i32.const 2))))
          (f32.store (local.get $p) (f32.add (f32.load (local.get $p)) (f32x4.extract_lane 3 (local.get $dv)))))
        (else
          (call $scatter (local.get $am) (local.get $dy) (local.get $dx) (i32.const 4))))
      (local.set $am (i32.add (local.get $am) (i32.const 16)))
      (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
      (br $l)))
    (call $scatter (local.get $am) (local.get $dy) (local.get $dx) (i32.shr_u (i32.sub (local.get $end) (local.get $am)) (i32.const 2))))

  ;; max_pool_back one entry at a time
  (func $scatter (param $am i32) (param $dy i32) (param $dx i32) (param $count i32)
    (local $i i32) (local $a i32) (local $p i32)
    (block $b (loop $l
      (br_if $b (i32.ge_u (local.get $i) (local.get $count)))
      (local.set $a (i32.load (i32.add (local.get $am) (i32.shl (local.get $i) (i32.const 2)))))
      (if (i32.ge_s (local.get $a) (i32.const 0))
        (then
          (local.set $p (i32.add (local.get $dx) (i32.shl (local.get $a) (i32.const 2))))
          (f32.store (local.get $p)
            (f32.add (f32.load (local.get $p)) (f32.load (i32.add (local.get $dy) (i32.shl (local.get $i) (i32.const 2))))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l))))

  ;; p -= lr g, in place
  (func (export "sgd") (param $p i32) (param $g i32) (param $n i32) (param $lr f32)
    (local $end i32) (local $lrv v128)
    (local.set $lrv (f32x4.splat (local.get $lr)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (block $b (loop $l
      (br_if $b (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
      (v128.store (local.get $p) (f32x4.sub (v128.load (local.get $p)) (f32x4.mul (local.get $lrv) (v128.load (local.get $g)))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (local.set $g (i32.add (local.get $g) (i32.const 16)))
      (br $l)))
    (block $b (loop $l
      (br_if $b (i32.ge_u (local.get $p) (local.get $end)))
      (f32.store (local.get $p) (f32.sub (f32.load (local.get $p)) (f32.mul (local.get $lr) (f32.load (local.get $g)))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (local.set $g (i32.add (local.get $g) (i32.const 4)))
      (br $l))))

  ;; v = mu v + g; p -= lr v, in place
  (func (export "momentum") (param $p i32) (param $v i32) (param $g i32) (param $n i32) (param $mu f32) (param $lr f32)
    (local $end i32) (local $nv v128) (local $s f32)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (block $b (loop $l
      (br_if $b (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
      (local.set $nv (f32x4.add (f32x4.mul (f32x4.splat (local.get $mu)) (v128.load (local.get $v))) (v128.load (local.get $g))))
      (v128.store (local.get $v) (local.get $nv))
      (v128.store (local.get $p) (f32x4.sub (v128.load (local.get $p)) (f32x4.mul (f32x4.splat (local.get $lr)) (local.get $nv))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (local.set $v (i32.add (local.get $v) (i32.const 16)))
      (local.set $g (i32.add (local.get $g) (i32.const 16)))
      (br $l)))
    (block $b (loop $l
      (br_if $b (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $s (f32.add (f32.mul (local.get $mu) (f32.load (local.get $v))) (f32.load (local.get $g))))
      (f32.store (local.get $v) (local.get $s))
      (f32.store (local.get $p) (f32.sub (f32.load (local.get $p)) (f32.mul (local.get $lr) (local.get $s))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (local.set $v (i32.add (local.get $v) (i32.const 4)))
      (local.set $g (i32.add (local.get $g) (i32.const 4)))
      (br $l))))

  ;; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr (m/c1) / (sqrt(v/c2) + eps),
  ;; in place; ob1 = 1 - b1 and ob2 = 1 - b2 come from the host in float64.
  (func (export "adam")
    (param $p i32) (param $m i32) (param $v i32) (param $g i32) (param $n i32)
    (param $b1 f32) (param $ob1 f32) (param $b2 f32) (param $ob2 f32) (param $c1 f32) (param $c2 f32) (param $eps f32) (param $lr f32)
    (local $end i32) (local $gv v128) (local $mv v128) (local $vv v128)
    (local $gs f32) (local $ms f32) (local $vs f32)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (block $b (loop $l
      (br_if $b (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
      (local.set $gv (v128.load (local.get $g)))
      (local.set $mv (f32x4.add (f32x4.mul (f32x4.splat (local.get $b1)) (v128.load (local.get $m)))
                                (f32x4.mul (f32x4.splat (local.get $ob1)) (local.get $gv))))
      (local.set $vv (f32x4.add (f32x4.mul (f32x4.splat (local.get $b2)) (v128.load (local.get $v)))
                                (f32x4.mul (f32x4.mul (f32x4.splat (local.get $ob2)) (local.get $gv)) (local.get $gv))))
      (v128.store (local.get $m) (local.get $mv))
      (v128.store (local.get $v) (local.get $vv))
      (v128.store (local.get $p)
        (f32x4.sub (v128.load (local.get $p))
          (f32x4.div
            (f32x4.mul (f32x4.splat (local.get $lr)) (f32x4.div (local.get $mv) (f32x4.splat (local.get $c1))))
            (f32x4.add (f32x4.sqrt (f32x4.div (local.get $vv) (f32x4.splat (local.get $c2)))) (f32x4.splat (local.get $eps))))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (local.set $m (i32.add (local.get $m) (i32.const 16)))
      (local.set $v (i32.add (local.get $v) (i32.const 16)))
      (local.set $g (i32.add (local.get $g) (i32.const 16)))
      (br $l)))
    (block $b (loop $l
      (br_if $b (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $gs (f32.load (local.get $g)))
      (local.set $ms (f32.add (f32.mul (local.get $b1) (f32.load (local.get $m))) (f32.mul (local.get $ob1) (local.get $gs))))
      (local.set $vs (f32.add (f32.mul (local.get $b2) (f32.load (local.get $v)))
                              (f32.mul (f32.mul (local.get $ob2) (local.get $gs)) (local.get $gs))))
      (f32.store (local.get $m) (local.get $ms))
      (f32.store (local.get $v) (local.get $vs))
      (f32.store (local.get $p)
        (f32.sub (f32.load (local.get $p))
          (f32.div
            (f32.mul (local.get $lr) (f32.div (local.get $ms) (local.get $c1)))
            (f32.add (f32.sqrt (f32.div (local.get $vs) (local.get $c2))) (local.get $eps)))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (local.set $m (i32.add (local.get $m) (i32.const 4)))
      (local.set $v (i32.add (local.get $v) (i32.const 4)))
      (local.set $g (i32.add (local.get $g) (i32.const 4)))
      (br $l))))
)
