;; im2col and col2im, one function: the convolutions' unrolled matrix.

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
