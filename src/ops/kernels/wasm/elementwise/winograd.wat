;; The Winograd convolution F(4x4, 3x3)'s transforms (winograd-calls.ts runs
;; them around one GEMM per tile position). Layouts: a transformed batch of
;; tiles is [36][rows][channels], a row per tile (image, tile row, tile
;; column), so the products over channels are plain row-major GEMMs; the
;; transformed filters are [36][c][o]. The transform of one tile, four
;; channels at a time, is straight-line code generated from the matrices
;; (scripts/winograd-wat.ts: $wg_in, $wg_out, $wg_filter, $wg_dy,
;; $wg_filter_back); these loops only place tiles. Images are copied into a
;; zero-bordered block first, so every tile is read whole.

;; n x [h, w, c] at src into the zeroed blocks [hp, wp, c] at dst, pixel
;; (iy, ix) to (iy + top, ix + left); what falls outside is cut.
(func $wg_pad (param $src i32) (param $dst i32) (param $h i32) (param $w i32) (param $c i32)
  (param $top i32) (param $left i32) (param $hp i32) (param $wp i32)
  (local $rows i32) (local $cols i32) (local $iy i32)
  (memory.fill (local.get $dst) (i32.const 0) (i32.shl (i32.mul (i32.mul (local.get $hp) (local.get $wp)) (local.get $c)) (i32.const 2)))
  (local.set $rows (i32.sub (local.get $hp) (local.get $top)))
  (if (i32.gt_s (local.get $rows) (local.get $h)) (then (local.set $rows (local.get $h))))
  (local.set $cols (i32.sub (local.get $wp) (local.get $left)))
  (if (i32.gt_s (local.get $cols) (local.get $w)) (then (local.set $cols (local.get $w))))
  (block $done (loop $l
    (br_if $done (i32.ge_s (local.get $iy) (local.get $rows)))
    (memory.copy
      (i32.add (local.get $dst) (i32.shl (i32.mul (i32.add (i32.mul (i32.add (local.get $iy) (local.get $top)) (local.get $wp)) (local.get $left)) (local.get $c)) (i32.const 2)))
      (i32.add (local.get $src) (i32.shl (i32.mul (i32.mul (local.get $iy) (local.get $w)) (local.get $c)) (i32.const 2)))
      (i32.shl (i32.mul (local.get $cols) (local.get $c)) (i32.const 2)))
    (local.set $iy (i32.add (local.get $iy) (i32.const 1)))
    (br $l))))

;; The transformed tiles of n images x [h, w, c] (c % 4 == 0) into v
;; [36][n ty tx][c], its 36 planes ds bytes apart: kind 0, the 6x6 input
;; tiles at (4 i - top, 4 j - left), B^T d B; kind 1, the 4x4 output-gradient
;; tiles at (4 i, 4 j), A dy A^T. tmp holds (4 ty + 2) (4 tx + 2) c floats.
(func (export "wino_tiles") (param $x i32) (param $v i32) (param $ds i32) (param $n i32) (param $h i32) (param $w i32) (param $c i32)
  (param $top i32) (param $left i32) (param $ty i32) (param $tx i32) (param $tmp i32) (param $kind i32)
  (local $hp i32) (local $wp i32) (local $b i32) (local $i i32) (local $j i32) (local $ch i32)
  (local $row i32) (local $src i32) (local $dst i32) (local $sr i32) (local $cb i32)
  (local.set $hp (i32.add (i32.shl (local.get $ty) (i32.const 2)) (i32.const 2)))
  (local.set $wp (i32.add (i32.shl (local.get $tx) (i32.const 2)) (i32.const 2)))
  (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
  (local.set $sr (i32.mul (local.get $wp) (local.get $cb)))
  (block $bb (loop $bl
    (br_if $bb (i32.ge_u (local.get $b) (local.get $n)))
    (call $wg_pad
      (i32.add (local.get $x) (i32.mul (i32.mul (i32.mul (local.get $b) (local.get $h)) (local.get $w)) (local.get $cb)))
      (local.get $tmp) (local.get $h) (local.get $w) (local.get $c) (local.get $top) (local.get $left) (local.get $hp) (local.get $wp))
    (local.set $i (i32.const 0))
    (block $ib (loop $il
      (br_if $ib (i32.ge_u (local.get $i) (local.get $ty)))
      (local.set $j (i32.const 0))
      (block $jb (loop $jl
        (br_if $jb (i32.ge_u (local.get $j) (local.get $tx)))
        (local.set $row (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $ty)) (local.get $i)) (local.get $tx)) (local.get $j)))
        (local.set $src (i32.add (local.get $tmp)
          (i32.mul (i32.add (i32.mul (i32.shl (local.get $i) (i32.const 2)) (local.get $wp)) (i32.shl (local.get $j) (i32.const 2))) (local.get $cb))))
        (local.set $dst (i32.add (local.get $v) (i32.mul (local.get $row) (local.get $cb))))
        (local.set $ch (i32.const 0))
        (block $cb_ (loop $cl
          (br_if $cb_ (i32.ge_u (local.get $ch) (local.get $cb)))
          (if (local.get $kind)
            (then (call $wg_dy (i32.add (local.get $src) (local.get $ch)) (local.get $sr) (local.get $cb)
              (i32.add (local.get $dst) (local.get $ch)) (i32.mul (local.get $ds) (i32.const 6)) (local.get $ds)))
            (else (call $wg_in (i32.add (local.get $src) (local.get $ch)) (local.get $sr) (local.get $cb)
              (i32.add (local.get $dst) (local.get $ch)) (i32.mul (local.get $ds) (i32.const 6)) (local.get $ds))))
          (local.set $ch (i32.add (local.get $ch) (i32.const 16)))
          (br $cl)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $jl)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $il)))
    (local.set $b (i32.add (local.get $b) (i32.const 1)))
    (br $bl))))

;; The output y [n, ho, wo, o] (o % 4 == 0) of the products m [36][n ty tx][o]
;; (planes ss bytes apart): A^T m A per tile, into tmp (4 ty x 4 tx x o
;; floats), then the rows that lie inside the image copied out.
(func (export "wino_output") (param $m i32) (param $ss i32) (param $y i32) (param $n i32) (param $ho i32) (param $wo i32) (param $o i32)
  (param $ty i32) (param $tx i32) (param $tmp i32)
  (local $wp i32) (local $b i32) (local $i i32) (local $j i32) (local $ch i32) (local $row i32)
  (local $src i32) (local $dst i32) (local $dr i32) (local $ob i32) (local $oy i32)
  (local.set $wp (i32.shl (local.get $tx) (i32.const 2)))
  (local.set $ob (i32.shl (local.get $o) (i32.const 2)))
  (local.set $dr (i32.mul (local.get $wp) (local.get $ob)))
  (block $bb (loop $bl
    (br_if $bb (i32.ge_u (local.get $b) (local.get $n)))
    (local.set $i (i32.const 0))
    (block $ib (loop $il
      (br_if $ib (i32.ge_u (local.get $i) (local.get $ty)))
      (local.set $j (i32.const 0))
      (block $jb (loop $jl
        (br_if $jb (i32.ge_u (local.get $j) (local.get $tx)))
        (local.set $row (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $ty)) (local.get $i)) (local.get $tx)) (local.get $j)))
        (local.set $src (i32.add (local.get $m) (i32.mul (local.get $row) (local.get $ob))))
        (local.set $dst (i32.add (local.get $tmp)
          (i32.mul (i32.add (i32.mul (i32.shl (local.get $i) (i32.const 2)) (local.get $wp)) (i32.shl (local.get $j) (i32.const 2))) (local.get $ob))))
        (local.set $ch (i32.const 0))
        (block $cb (loop $cl
          (br_if $cb (i32.ge_u (local.get $ch) (local.get $ob)))
          (call $wg_out (i32.add (local.get $src) (local.get $ch)) (i32.mul (local.get $ss) (i32.const 6)) (local.get $ss)
            (i32.add (local.get $dst) (local.get $ch)) (local.get $dr) (local.get $ob))
          (local.set $ch (i32.add (local.get $ch) (i32.const 16)))
          (br $cl)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $jl)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $il)))
    (local.set $oy (i32.const 0))
    (block $yb (loop $yl
      (br_if $yb (i32.ge_u (local.get $oy) (local.get $ho)))
      (memory.copy
        (i32.add (local.get $y) (i32.mul (i32.mul (i32.add (i32.mul (local.get $b) (local.get $ho)) (local.get $oy)) (local.get $wo)) (local.get $ob)))
        (i32.add (local.get $tmp) (i32.mul (local.get $oy) (local.get $dr)))
        (i32.mul (local.get $wo) (local.get $ob)))
      (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
      (br $yl)))
    (local.set $b (i32.add (local.get $b) (i32.const 1)))
    (br $bl))))

;; The transformed filters u [36][rows][cols] = G g G^T of w [3, 3, c, o]:
;; rows c and cols o (o % 4 == 0); or, when flip, of the flipped and
;; transposed filters the input gradient convolves with, rows o and cols c
;; (c % 4 == 0), g[ky][kx] = w[2 - ky][2 - kx][col][row], gathered into tmp
;; (36 floats).
(func (export "wino_filter") (param $w i32) (param $u i32) (param $c i32) (param $o i32) (param $flip i32) (param $tmp i32)
  (local $rows i32) (local $cols i32) (local $i i32) (local $j i32) (local $ds i32) (local $dst i32)
  (local $k i32) (local $l i32) (local $src i32)
  (local.set $rows (select (local.get $o) (local.get $c) (local.get $flip)))
  (local.set $cols (select (local.get $c) (local.get $o) (local.get $flip)))
  (local.set $ds (i32.shl (i32.mul (local.get $c) (local.get $o)) (i32.const 2)))
  (block $ib (loop $il
    (br_if $ib (i32.ge_u (local.get $i) (local.get $rows)))
    (local.set $j (i32.const 0))
    (block $jb (loop $jl
      (br_if $jb (i32.ge_u (local.get $j) (local.get $cols)))
      (local.set $dst (i32.add (local.get $u) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $cols)) (local.get $j)) (i32.const 2))))
      (if (local.get $flip)
        (then
          ;; tap k = 3 ky + kx of the flipped filter is tap 8 - k of w
          (local.set $k (i32.const 0))
          (block $kb (loop $kl
            (br_if $kb (i32.ge_u (local.get $k) (i32.const 9)))
            (local.set $l (i32.const 0))
            (block $lb (loop $ll
              (br_if $lb (i32.ge_u (local.get $l) (i32.const 4)))
              (local.set $src (i32.add (i32.mul (i32.add (i32.mul (i32.sub (i32.const 8) (local.get $k)) (local.get $c))
                (i32.add (local.get $j) (local.get $l))) (local.get $o)) (local.get $i)))
              (f32.store (i32.add (local.get $tmp) (i32.shl (i32.add (i32.shl (local.get $k) (i32.const 2)) (local.get $l)) (i32.const 2)))
                (f32.load (i32.add (local.get $w) (i32.shl (local.get $src) (i32.const 2)))))
              (local.set $l (i32.add (local.get $l) (i32.const 1)))
              (br $ll)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $kl)))
          (call $wg_filter (local.get $tmp) (i32.const 48) (i32.const 16) (local.get $dst) (i32.mul (local.get $ds) (i32.const 6)) (local.get $ds)))
        (else
          (call $wg_filter
            (i32.add (local.get $w) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $o)) (local.get $j)) (i32.const 2)))
            (i32.mul (local.get $ds) (i32.const 3)) (local.get $ds)
            (local.get $dst) (i32.mul (local.get $ds) (i32.const 6)) (local.get $ds))))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $jl)))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br $il))))

;; The filter gradient dw [3, 3, c, o] (o % 4 == 0) = G^T du G of the
;; summed products du [36][c][o].
(func (export "wino_filter_back") (param $du i32) (param $dw i32) (param $c i32) (param $o i32)
  (local $ss i32) (local $off i32)
  (local.set $ss (i32.shl (i32.mul (local.get $c) (local.get $o)) (i32.const 2)))
  ;; [c][o] is contiguous in both: walk it four floats at a time
  (block $b (loop $l
    (br_if $b (i32.ge_u (local.get $off) (local.get $ss)))
    (call $wg_filter_back (i32.add (local.get $du) (local.get $off)) (i32.mul (local.get $ss) (i32.const 6)) (local.get $ss)
      (i32.add (local.get $dw) (local.get $off)) (i32.mul (local.get $ss) (i32.const 3)) (local.get $ss))
    (local.set $off (i32.add (local.get $off) (i32.const 16)))
    (br $l))))
