;; WebAssembly SIMD (f32x4) GEMM: C = op(A) op(B), or C += op(A) op(B).
;;
;; All pointers are byte offsets into the imported memory (shared with the
;; other kernel modules, see heap.ts). A, B and C are dense
;; row-major float32 matrices laid out exactly as the `Gemm` type describes:
;; A is [m, k] (or [k, m] when transA), B is [k, n] (or [n, k] when transB),
;; C is [m, n]. `ws` points at scratch of at least `workspace(m, n, k)` bytes.
;;
;; Blocking (GotoBLAS style): k is cut into blocks of KC; for each block the
;; whole of op(B) is packed into 8-column panels ([kc][8], zero-padded), then m
;; is cut into blocks of MC rows packed into 4-row panels ([kc][4], zero
;; padded). A 4x8 micro-kernel keeps the C tile in eight f32x4 registers while
;; it runs down kc, so transposes cost only the packing. Partial tiles are
;; computed in full (on zero padding) and stored through a small tile buffer.
;;
;; Fewer than 4 rows (a dense layer at batch 1) take `$rows`, which walks B as
;; it is stored and never packs it.
(module
  (import "env" "memory" (memory 1))

  (global $KC i32 (i32.const 256))
  (global $MC i32 (i32.const 128)) ;; multiple of 4

  (func $min (param $x i32) (param $y i32) (result i32)
    (select (local.get $x) (local.get $y) (i32.lt_u (local.get $x) (local.get $y))))

  ;; Bytes of scratch `gemm` needs at `ws`.
  (func (export "workspace") (param $m i32) (param $n i32) (param $k i32) (result i32)
    (local $kc i32)
    (if (i32.lt_u (local.get $m) (i32.const 4))
      (then (return (i32.shl (i32.mul (local.get $m) (local.get $k)) (i32.const 2)))))
    (local.set $kc (call $min (global.get $KC) (local.get $k)))
    (i32.add
      (i32.add
        ;; packed B: kc * ceil8(n) floats
        (i32.mul (i32.mul (local.get $kc) (i32.shr_u (i32.add (local.get $n) (i32.const 7)) (i32.const 3))) (i32.const 32))
        ;; packed A: kc * ceil4(min(MC, m)) floats
        (i32.mul (i32.mul (local.get $kc)
          (i32.shr_u (i32.add (call $min (global.get $MC) (local.get $m)) (i32.const 3)) (i32.const 2))) (i32.const 16)))
      ;; tile buffer
      (i32.const 128)))

  ;; Pack op(B)[pc:pc+kc, :] into 8-column panels at dst: panel jp holds
  ;; kc rows of 8 floats, columns past n are zero.
  (func $packB (param $transB i32) (param $n i32) (param $k i32) (param $b i32)
               (param $pc i32) (param $kc i32) (param $dst i32)
    (local $j0 i32) (local $cols i32) (local $p i32) (local $q i32) (local $src i32) (local $step i32)
    (local.set $j0 (i32.const 0))
    (loop $panels
      (local.set $cols (call $min (i32.const 8) (i32.sub (local.get $n) (local.get $j0))))
      (if (i32.and (i32.eqz (local.get $transB)) (i32.eq (local.get $cols) (i32.const 8)))
        (then
          ;; rows of B are contiguous: two vector copies per row
          (local.set $src (i32.shl (i32.add (i32.mul (local.get $pc) (local.get $n)) (local.get $j0)) (i32.const 2)))
          (local.set $src (i32.add (local.get $b) (local.get $src)))
          (local.set $step (i32.shl (local.get $n) (i32.const 2)))
          (local.set $p (local.get $kc))
          (loop $rows
            (v128.store (local.get $dst) (v128.load (local.get $src)))
            (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $src)))
            (local.set $src (i32.add (local.get $src) (local.get $step)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
            (br_if $rows (local.tee $p (i32.sub (local.get $p) (i32.const 1))))))
        (else
          (if (i32.and (local.get $transB) (i32.eq (local.get $cols) (i32.const 8)))
            (then
              ;; B stored [n, k]: column j of op(B) is row j of B; walk 8 rows in step
              (local.set $step (i32.shl (local.get $k) (i32.const 2)))
              (local.set $src (i32.add (local.get $b)
                (i32.shl (i32.add (i32.mul (local.get $j0) (local.get $k)) (local.get $pc)) (i32.const 2))))
              (local.set $p (local.get $kc))
              (loop $rows
                (f32.store offset=0 (local.get $dst) (f32.load (local.get $src)))
                (f32.store offset=4 (local.get $dst) (f32.load (i32.add (local.get $src) (local.get $step))))
                (f32.store offset=8 (local.get $dst) (f32.load (i32.add (local.get $src) (i32.mul (local.get $step) (i32.const 2)))))
                (f32.store offset=12 (local.get $dst) (f32.load (i32.add (local.get $src) (i32.mul (local.get $step) (i32.const 3)))))
                (f32.store offset=16 (local.get $dst) (f32.load (i32.add (local.get $src) (i32.mul (local.get $step) (i32.const 4)))))
                (f32.store offset=20 (local.get $dst) (f32.load (i32.add (local.get $src) (i32.mul (local.get $step) (i32.const 5)))))
                (f32.store offset=24 (local.get $dst) (f32.load (i32.add (local.get $src) (i32.mul (local.get $step) (i32.const 6)))))
                (f32.store offset=28 (local.get $dst) (f32.load (i32.add (local.get $src) (i32.mul (local.get $step) (i32.const 7)))))
                (local.set $src (i32.add (local.get $src) (i32.const 4)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
                (br_if $rows (local.tee $p (i32.sub (local.get $p) (i32.const 1))))))
            (else
              ;; edge panel: element by element, zero past n
              (local.set $p (i32.const 0))
              (loop $rows
                (local.set $q (i32.const 0))
                (loop $colsl
                  (f32.store (local.get $dst)
                    (if (result f32) (i32.lt_u (local.get $q) (local.get $cols))
                      (then
                        (f32.load (i32.add (local.get $b) (i32.shl
                          (if (result i32) (local.get $transB)
                            (then (i32.add (i32.mul (i32.add (local.get $j0) (local.get $q)) (local.get $k))
                                           (i32.add (local.get $pc) (local.get $p))))
                            (else (i32.add (i32.mul (i32.add (local.get $pc) (local.get $p)) (local.get $n))
                                           (i32.add (local.get $j0) (local.get $q)))))
                          (i32.const 2)))))
                      (else (f32.const 0))))
                  (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
                  (br_if $colsl (i32.lt_u (local.tee $q (i32.add (local.get $q) (i32.const 1))) (i32.const 8))))
                (br_if $rows (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 1))) (local.get $kc))))))))
      (br_if $panels (i32.lt_u (local.tee $j0 (i32.add (local.get $j0) (i32.const 8))) (local.get $n)))))

  ;; Pack op(A)[ic:ic+mc, pc:pc+kc] into 4-row panels at dst: panel ip holds
  ;; kc columns of 4 floats, rows past mc are zero.
  (func $packA (param $transA i32) (param $m i32) (param $k i32) (param $a i32)
               (param $ic i32) (param $mc i32) (param $pc i32) (param $kc i32) (param $dst i32)
    (local $i0 i32) (local $rows i32) (local $p i32) (local $r i32) (local $src i32) (local $step i32)
    (local $end i32)
    (local.set $i0 (local.get $ic))
    (local.set $end (i32.add (local.get $ic) (local.get $mc)))
    (loop $panels
      (local.set $rows (call $min (i32.const 4) (i32.sub (local.get $end) (local.get $i0))))
      (if (i32.and (local.get $transA) (i32.eq (local.get $rows) (i32.const 4)))
        (then
          ;; A stored [k, m]: the 4 rows of a column are contiguous
          (local.set $src (i32.add (local.get $a)
            (i32.shl (i32.add (i32.mul (local.get $pc) (local.get $m)) (local.get $i0)) (i32.const 2))))
          (local.set $step (i32.shl (local.get $m) (i32.const 2)))
          (local.set $p (local.get $kc))
          (loop $cols
            (v128.store (local.get $dst) (v128.load (local.get $src)))
            (local.set $src (i32.add (local.get $src) (local.get $step)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
            (br_if $cols (local.tee $p (i32.sub (local.get $p) (i32.const 1))))))
        (else
          (if (i32.and (i32.eqz (local.get $transA)) (i32.eq (local.get $rows) (i32.const 4)))
            (then
              ;; A stored [m, k]: walk 4 rows side by side
              (local.set $src (i32.add (local.get $a)
                (i32.shl (i32.add (i32.mul (local.get $i0) (local.get $k)) (local.get $pc)) (i32.const 2))))
              (local.set $step (i32.shl (local.get $k) (i32.const 2)))
              (local.set $p (local.get $kc))
              ;; 4 columns at a time: load 4x4 and transpose with shuffles
              (block $tail
                (loop $quad
                  (br_if $tail (i32.lt_u (local.get $p) (i32.const 4)))
                  (call $transpose4 (local.get $dst) (local.get $src) (local.get $step))
                  (local.set $src (i32.add (local.get $src) (i32.const 16)))
                  (local.set $dst (i32.add (local.get $dst) (i32.const 64)))
                  (local.set $p (i32.sub (local.get $p) (i32.const 4)))
                  (br $quad)))
              (if (local.get $p)
                (then
                  (loop $cols
                    (f32.store offset=0 (local.get $dst) (f32.load (local.get $src)))
                    (f32.store offset=4 (local.get $dst) (f32.load (i32.add (local.get $src) (local.get $step))))
                    (f32.store offset=8 (local.get $dst) (f32.load (i32.add (local.get $src) (i32.mul (local.get $step) (i32.const 2)))))
                    (f32.store offset=12 (local.get $dst) (f32.load (i32.add (local.get $src) (i32.mul (local.get $step) (i32.const 3)))))
                    (local.set $src (i32.add (local.get $src) (i32.const 4)))
                    (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
                    (br_if $cols (local.tee $p (i32.sub (local.get $p) (i32.const 1))))))))
            (else
              ;; edge panel: element by element, zero past the block
              (local.set $p (i32.const 0))
              (loop $cols
                (local.set $r (i32.const 0))
                (loop $rowsl
                  (f32.store (local.get $dst)
                    (if (result f32) (i32.lt_u (local.get $r) (local.get $rows))
                      (then
                        (f32.load (i32.add (local.get $a) (i32.shl
                          (if (result i32) (local.get $transA)
                            (then (i32.add (i32.mul (i32.add (local.get $pc) (local.get $p)) (local.get $m))
                                           (i32.add (local.get $i0) (local.get $r))))
                            (else (i32.add (i32.mul (i32.add (local.get $i0) (local.get $r)) (local.get $k))
                                           (i32.add (local.get $pc) (local.get $p)))))
                          (i32.const 2)))))
                      (else (f32.const 0))))
                  (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
                  (br_if $rowsl (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (i32.const 4))))
                (br_if $cols (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 1))) (local.get $kc))))))))
      (br_if $panels (i32.lt_u (local.tee $i0 (i32.add (local.get $i0) (i32.const 4))) (local.get $end)))))

  ;; dst[4x4] = transpose of the 4x4 block at src with row stride `step` bytes.
  (func $transpose4 (param $dst i32) (param $src i32) (param $step i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $r0 (v128.load (local.get $src)))
    (local.set $r1 (v128.load (i32.add (local.get $src) (local.get $step))))
    (local.set $r2 (v128.load (i32.add (local.get $src) (i32.shl (local.get $step) (i32.const 1)))))
    (local.set $r3 (v128.load (i32.add (local.get $src) (i32.mul (local.get $step) (i32.const 3)))))
    ;; t0 = r0[0] r1[0] r0[1] r1[1]; t1 = r0[2] r1[2] r0[3] r1[3]; same for r2, r3
    (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
    (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
    (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
    (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
    (v128.store offset=0 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
    (v128.store offset=16 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
    (v128.store offset=32 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
    (v128.store offset=48 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3))))

  ;; The 4x8 micro-kernel: tile = Ap[kc][4] x Bp[kc][8], stored to the C tile
  ;; at cp (row stride ldc bytes), mr x nr of it valid; added to C when `load`.
  (func $micro (param $kc i32) (param $ap i32) (param $bp i32) (param $cp i32) (param $ldc i32)
               (param $mr i32) (param $nr i32) (param $load i32) (param $tile i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $x v128)
    (local $r i32) (local $q i32) (local $src i32) (local $dst i32)
    (loop $k
      (local.set $b0 (v128.load (local.get $bp)))
      (local.set $b1 (v128.load offset=16 (local.get $bp)))
      (local.set $x (v128.load32_splat offset=0 (local.get $ap)))
      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
      (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $b1))))
      (local.set $x (v128.load32_splat offset=4 (local.get $ap)))
      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
      (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $b1))))
      (local.set $x (v128.load32_splat offset=8 (local.get $ap)))
      (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
      (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $b1))))
      (local.set $x (v128.load32_splat offset=12 (local.get $ap)))
      (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $b0))))
      (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x) (local.get $b1))))
      (local.set $ap (i32.add (local.get $ap) (i32.const 16)))
      (local.set $bp (i32.add (local.get $bp) (i32.const 32)))
      (br_if $k (local.tee $kc (i32.sub (local.get $kc) (i32.const 1)))))
    (if (i32.and (i32.eq (local.get $mr) (i32.const 4)) (i32.eq (local.get $nr) (i32.const 8)))
      (then
        (if (local.get $load)
          (then
            (local.set $c00 (f32x4.add (local.get $c00) (v128.load (local.get $cp))))
            (local.set $c01 (f32x4.add (local.get $c01) (v128.load offset=16 (local.get $cp))))
            (local.set $c10 (f32x4.add (local.get $c10) (v128.load (i32.add (local.get $cp) (local.get $ldc)))))
            (local.set $c11 (f32x4.add (local.get $c11) (v128.load offset=16 (i32.add (local.get $cp) (local.get $ldc)))))
            (local.set $c20 (f32x4.add (local.get $c20) (v128.load (i32.add (local.get $cp) (i32.shl (local.get $ldc) (i32.const 1))))))
            (local.set $c21 (f32x4.add (local.get $c21) (v128.load offset=16 (i32.add (local.get $cp) (i32.shl (local.get $ldc) (i32.const 1))))))
            (local.set $c30 (f32x4.add (local.get $c30) (v128.load (i32.add (local.get $cp) (i32.mul (local.get $ldc) (i32.const 3))))))
            (local.set $c31 (f32x4.add (local.get $c31) (v128.load offset=16 (i32.add (local.get $cp) (i32.mul (local.get $ldc) (i32.const 3))))))))
        (v128.store (local.get $cp) (local.get $c00))
        (v128.store offset=16 (local.get $cp) (local.get $c01))
        (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
        (v128.store (local.get $cp) (local.get $c10))
        (v128.store offset=16 (local.get $cp) (local.get $c11))
        (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
        (v128.store (local.get $cp) (local.get $c20))
        (v128.store offset=16 (local.get $cp) (local.get $c21))
        (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
        (v128.store (local.get $cp) (local.get $c30))
        (v128.store offset=16 (local.get $cp) (local.get $c31))
        (return)))
    ;; partial tile: spill, then copy the valid mr x nr corner
    (v128.store offset=0 (local.get $tile) (local.get $c00))
    (v128.store offset=16 (local.get $tile) (local.get $c01))
    (v128.store offset=32 (local.get $tile) (local.get $c10))
    (v128.store offset=48 (local.get $tile) (local.get $c11))
    (v128.store offset=64 (local.get $tile) (local.get $c20))
    (v128.store offset=80 (local.get $tile) (local.get $c21))
    (v128.store offset=96 (local.get $tile) (local.get $c30))
    (v128.store offset=112 (local.get $tile) (local.get $c31))
    (local.set $r (i32.const 0))
    (loop $rows
      (local.set $src (i32.add (local.get $tile) (i32.shl (local.get $r) (i32.const 5))))
      (local.set $dst (i32.add (local.get $cp) (i32.mul (local.get $r) (local.get $ldc))))
      (local.set $q (i32.const 0))
      (loop $cols
        (f32.store (local.get $dst)
          (if (result f32) (local.get $load)
            (then (f32.add (f32.load (local.get $dst)) (f32.load (local.get $src))))
            (else (f32.load (local.get $src)))))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (br_if $cols (i32.lt_u (local.tee $q (i32.add (local.get $q) (i32.const 1))) (local.get $nr))))
      (br_if $rows (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $mr)))))

  ;; Fewer than 4 rows (a dense layer at batch 1): B is walked as it is stored,
  ;; never packed. op(A) rows are first made contiguous at ws (when transA).
  (func $rows (param $transA i32) (param $transB i32) (param $m i32) (param $n i32) (param $k i32)
              (param $a i32) (param $b i32) (param $c i32) (param $ws i32) (param $acc i32)
    (local $i i32) (local $p i32) (local $j i32) (local $arow i32) (local $crow i32)
    (local $bp i32) (local $ldb i32) (local $n4 i32) (local $k4 i32) (local $cp i32) (local $end i32)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $f f32) (local $g f32)
    (if (local.get $transA)
      (then
        ;; ws[i*k + p] = a[p*m + i]
        (local.set $i (i32.const 0))
        (loop $ti
          (local.set $p (i32.const 0))
          (loop $tp
            (f32.store (i32.add (local.get $ws) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $k)) (local.get $p)) (i32.const 2)))
              (f32.load (i32.add (local.get $a) (i32.shl (i32.add (i32.mul (local.get $p) (local.get $m)) (local.get $i)) (i32.const 2)))))
            (br_if $tp (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 1))) (local.get $k))))
          (br_if $ti (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $m))))
        (local.set $a (local.get $ws))))
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (local.set $k4 (i32.and (local.get $k) (i32.const -4)))
    (local.set $i (i32.const 0))
    (loop $irows
      (local.set $arow (i32.add (local.get $a) (i32.shl (i32.mul (local.get $i) (local.get $k)) (i32.const 2))))
      (local.set $crow (i32.add (local.get $c) (i32.shl (i32.mul (local.get $i) (local.get $n)) (i32.const 2))))
      (if (local.get $transB)
        (then
          ;; C[i, j] (+)= <A[i, :], B[j, :]>, four rows of B at a time
          (local.set $ldb (i32.shl (local.get $k) (i32.const 2)))
          (local.set $j (i32.const 0))
          (block $jdone4
            (loop $j4
              (br_if $jdone4 (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
              (local.set $bp (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $ldb))))
              (local.set $s0 (v128.const i32x4 0 0 0 0))
              (local.set $s1 (v128.const i32x4 0 0 0 0))
              (local.set $s2 (v128.const i32x4 0 0 0 0))
              (local.set $s3 (v128.const i32x4 0 0 0 0))
              (local.set $p (i32.const 0))
              (block $pdone
                (loop $pl
                  (br_if $pdone (i32.ge_u (local.get $p) (local.get $k4)))
                  (local.set $x0 (v128.load (i32.add (local.get $arow) (i32.shl (local.get $p) (i32.const 2)))))
                  (local.set $cp (i32.add (local.get $bp) (i32.shl (local.get $p) (i32.const 2))))
                  (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $x0) (v128.load (local.get $cp)))))
                  (local.set $cp (i32.add (local.get $cp) (local.get $ldb)))
                  (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (local.get $x0) (v128.load (local.get $cp)))))
                  (local.set $cp (i32.add (local.get $cp) (local.get $ldb)))
                  (local.set $s2 (f32x4.add (local.get $s2) (f32x4.mul (local.get $x0) (v128.load (local.get $cp)))))
                  (local.set $cp (i32.add (local.get $cp) (local.get $ldb)))
                  (local.set $s3 (f32x4.add (local.get $s3) (f32x4.mul (local.get $x0) (v128.load (local.get $cp)))))
                  (local.set $p (i32.add (local.get $p) (i32.const 4)))
                  (br $pl)))
              ;; horizontal sums: transpose-add the four accumulators into one vector
              (local.set $x0 (f32x4.add
                (i8x16.shuffle 0 1 2 3 16 17 18 19 8 9 10 11 24 25 26 27 (local.get $s0) (local.get $s1))
                (i8x16.shuffle 4 5 6 7 20 21 22 23 12 13 14 15 28 29 30 31 (local.get $s0) (local.get $s1))))
              (local.set $x1 (f32x4.add
                (i8x16.shuffle 0 1 2 3 16 17 18 19 8 9 10 11 24 25 26 27 (local.get $s2) (local.get $s3))
                (i8x16.shuffle 4 5 6 7 20 21 22 23 12 13 14 15 28 29 30 31 (local.get $s2) (local.get $s3))))
              ;; x0 = [s0a s1a s0b s1b], x1 = [s2a s3a s2b s3b]
              (local.set $x2 (f32x4.add
                (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $x0) (local.get $x1))
                (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $x0) (local.get $x1))))
              ;; scalar tail of k
              (local.set $p (local.get $k4))
              (block $tdone
                (loop $tl
                  (br_if $tdone (i32.ge_u (local.get $p) (local.get $k)))
                  (local.set $x3 (v128.load32_splat (i32.add (local.get $arow) (i32.shl (local.get $p) (i32.const 2)))))
                  (local.set $cp (i32.add (local.get $bp) (i32.shl (local.get $p) (i32.const 2))))
                  (local.set $x2 (f32x4.add (local.get $x2) (f32x4.mul (local.get $x3)
                    (f32x4.replace_lane 3
                      (f32x4.replace_lane 2
                        (f32x4.replace_lane 1
                          (v128.load32_zero (local.get $cp))
                          (f32.load (i32.add (local.get $cp) (local.get $ldb))))
                        (f32.load (i32.add (local.get $cp) (i32.shl (local.get $ldb) (i32.const 1)))))
                      (f32.load (i32.add (local.get $cp) (i32.mul (local.get $ldb) (i32.const 3))))))))
                  (local.set $p (i32.add (local.get $p) (i32.const 1)))
                  (br $tl)))
              (local.set $cp (i32.add (local.get $crow) (i32.shl (local.get $j) (i32.const 2))))
              (if (local.get $acc) (then (local.set $x2 (f32x4.add (local.get $x2) (v128.load (local.get $cp))))))
              (v128.store (local.get $cp) (local.get $x2))
              (local.set $j (i32.add (local.get $j) (i32.const 4)))
              (br $j4)))
          ;; remaining columns one at a time
          (block $jdone
            (loop $j1
              (br_if $jdone (i32.ge_u (local.get $j) (local.get $n)))
              (local.set $bp (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $ldb))))
              (local.set $f (f32.const 0))
              (local.set $p (i32.const 0))
              (loop $pl1
                (local.set $f (f32.add (local.get $f)
                  (f32.mul (f32.load (i32.add (local.get $arow) (i32.shl (local.get $p) (i32.const 2))))
                           (f32.load (i32.add (local.get $bp) (i32.shl (local.get $p) (i32.const 2)))))))
                (br_if $pl1 (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 1))) (local.get $k))))
              (local.set $cp (i32.add (local.get $crow) (i32.shl (local.get $j) (i32.const 2))))
              (if (local.get $acc) (then (local.set $f (f32.add (local.get $f) (f32.load (local.get $cp))))))
              (f32.store (local.get $cp) (local.get $f))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br $j1))))
        (else
          ;; C[i, :] (+)= sum_p A[i, p] B[p, :], B rows streamed four at a time
          (if (i32.eqz (local.get $acc))
            (then (memory.fill (local.get $crow) (i32.const 0) (i32.shl (local.get $n) (i32.const 2)))))
          (local.set $ldb (i32.shl (local.get $n) (i32.const 2)))
          (local.set $end (i32.add (local.get $crow) (i32.shl (local.get $n4) (i32.const 2))))
          (local.set $p (i32.const 0))
          (block $pdone4
            (loop $p4
              (br_if $pdone4 (i32.ge_u (local.get $p) (local.get $k4)))
              (local.set $cp (i32.add (local.get $arow) (i32.shl (local.get $p) (i32.const 2))))
              (local.set $x0 (v128.load32_splat offset=0 (local.get $cp)))
              (local.set $x1 (v128.load32_splat offset=4 (local.get $cp)))
              (local.set $x2 (v128.load32_splat offset=8 (local.get $cp)))
              (local.set $x3 (v128.load32_splat offset=12 (local.get $cp)))
              (local.set $bp (i32.add (local.get $b) (i32.mul (local.get $p) (local.get $ldb))))
              (local.set $cp (local.get $crow))
              (block $vdone
                (loop $vl
                  (br_if $vdone (i32.ge_u (local.get $cp) (local.get $end)))
                  (v128.store (local.get $cp)
                    (f32x4.add (v128.load (local.get $cp))
                      (f32x4.add
                        (f32x4.add (f32x4.mul (local.get $x0) (v128.load (local.get $bp)))
                                   (f32x4.mul (local.get $x1) (v128.load (i32.add (local.get $bp) (local.get $ldb)))))
                        (f32x4.add (f32x4.mul (local.get $x2) (v128.load (i32.add (local.get $bp) (i32.shl (local.get $ldb) (i32.const 1)))))
                                   (f32x4.mul (local.get $x3) (v128.load (i32.add (local.get $bp) (i32.mul (local.get $ldb) (i32.const 3)))))))))
                  (local.set $cp (i32.add (local.get $cp) (i32.const 16)))
                  (local.set $bp (i32.add (local.get $bp) (i32.const 16)))
                  (br $vl)))
              ;; tail columns
              (local.set $j (local.get $n4))
              (block $sdone
                (loop $sl
                  (br_if $sdone (i32.ge_u (local.get $j) (local.get $n)))
                  (local.set $bp (i32.add (local.get $b) (i32.shl (i32.add (i32.mul (local.get $p) (local.get $n)) (local.get $j)) (i32.const 2))))
                  (local.set $cp (i32.add (local.get $crow) (i32.shl (local.get $j) (i32.const 2))))
                  (local.set $g (f32.add
                    (f32.add (f32.mul (f32x4.extract_lane 0 (local.get $x0)) (f32.load (local.get $bp)))
                             (f32.mul (f32x4.extract_lane 0 (local.get $x1)) (f32.load (i32.add (local.get $bp) (local.get $ldb)))))
                    (f32.add (f32.mul (f32x4.extract_lane 0 (local.get $x2)) (f32.load (i32.add (local.get $bp) (i32.shl (local.get $ldb) (i32.const 1)))))
                             (f32.mul (f32x4.extract_lane 0 (local.get $x3)) (f32.load (i32.add (local.get $bp) (i32.mul (local.get $ldb) (i32.const 3))))))))
                  (f32.store (local.get $cp) (f32.add (f32.load (local.get $cp)) (local.get $g)))
                  (local.set $j (i32.add (local.get $j) (i32.const 1)))
                  (br $sl)))
              (local.set $p (i32.add (local.get $p) (i32.const 4)))
              (br $p4)))
          ;; tail rows of B one at a time
          (block $pdone1
            (loop $p1
              (br_if $pdone1 (i32.ge_u (local.get $p) (local.get $k)))
              (local.set $f (f32.load (i32.add (local.get $arow) (i32.shl (local.get $p) (i32.const 2)))))
              (local.set $x0 (f32x4.splat (local.get $f)))
              (local.set $bp (i32.add (local.get $b) (i32.mul (local.get $p) (local.get $ldb))))
              (local.set $cp (local.get $crow))
              (block $vdone1
                (loop $vl1
                  (br_if $vdone1 (i32.ge_u (local.get $cp) (local.get $end)))
                  (v128.store (local.get $cp)
                    (f32x4.add (v128.load (local.get $cp)) (f32x4.mul (local.get $x0) (v128.load (local.get $bp)))))
                  (local.set $cp (i32.add (local.get $cp) (i32.const 16)))
                  (local.set $bp (i32.add (local.get $bp) (i32.const 16)))
                  (br $vl1)))
              (local.set $j (local.get $n4))
              (block $sdone1
                (loop $sl1
                  (br_if $sdone1 (i32.ge_u (local.get $j) (local.get $n)))
                  (local.set $cp (i32.add (local.get $crow) (i32.shl (local.get $j) (i32.const 2))))
                  (f32.store (local.get $cp) (f32.add (f32.load (local.get $cp))
                    (f32.mul (local.get $f) (f32.load (i32.add (local.get $b) (i32.shl (i32.add (i32.mul (local.get $p) (local.get $n)) (local.get $j)) (i32.const 2)))))))
                  (local.set $j (i32.add (local.get $j) (i32.const 1)))
                  (br $sl1)))
              (local.set $p (i32.add (local.get $p) (i32.const 1)))
              (br $p1)))))
      (br_if $irows (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $m)))))

  ;; A dense layer's backward pass and SGD step at batch 1 in one pass over
  ;; its weights w ([rows, cols], both multiples of 4), for x [rows] and dy
  ;; [cols]: dx = w dy (when $wantDx; written to dx) from the old weights,
  ;; then w -= lr (x dy^T). Each number is computed as the three separate
  ;; calls compute it: dx as `$rows` sums it (gemm(false, true, 1, rows,
  ;; cols, dy, w)), the gradient as the micro-kernel's one-step product
  ;; (0 + x dy), and the update as the elementwise module's `sgd`; so a
  ;; compiled SGD step at batch 1 equals the eager one bit for bit, having
  ;; read and written w once instead of five times.
  (func (export "dense_sgd1") (param $w i32) (param $x i32) (param $d i32) (param $dx i32)
                              (param $rows i32) (param $cols i32) (param $lr f32) (param $wantDx i32)
    (local $j i32) (local $p i32) (local $ld i32)
    (local $r0 i32) (local $r1 i32) (local $r2 i32) (local $r3 i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $dv v128) (local $wv v128) (local $g v128) (local $zero v128) (local $lrv v128)
    (local $h0 v128) (local $h1 v128)
    (local.set $lrv (f32x4.splat (local.get $lr)))
    (local.set $ld (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $j (i32.const 0))
    (block $done
      (loop $four
        (br_if $done (i32.ge_u (local.get $j) (local.get $rows)))
        (local.set $r0 (i32.add (local.get $w) (i32.mul (local.get $j) (local.get $ld))))
        (local.set $r1 (i32.add (local.get $r0) (local.get $ld)))
        (local.set $r2 (i32.add (local.get $r1) (local.get $ld)))
        (local.set $r3 (i32.add (local.get $r2) (local.get $ld)))
        (local.set $p (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $a0 (v128.load32_splat offset=0 (local.get $p)))
        (local.set $a1 (v128.load32_splat offset=4 (local.get $p)))
        (local.set $a2 (v128.load32_splat offset=8 (local.get $p)))
        (local.set $a3 (v128.load32_splat offset=12 (local.get $p)))
        (local.set $s0 (v128.const i32x4 0 0 0 0))
        (local.set $s1 (v128.const i32x4 0 0 0 0))
        (local.set $s2 (v128.const i32x4 0 0 0 0))
        (local.set $s3 (v128.const i32x4 0 0 0 0))
        ;; p: byte offset along a row
        (local.set $p (i32.const 0))
        (block $rowDone
          (loop $along
            (br_if $rowDone (i32.ge_u (local.get $p) (local.get $ld)))
            (local.set $dv (v128.load (i32.add (local.get $d) (local.get $p))))
        (local.set $wv (v128.load (i32.add (local.get $r0) (local.get $p))))
        (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $dv) (local.get $wv))))
        (local.set $g (f32x4.add (local.get $zero) (f32x4.mul (local.get $a0) (local.get $dv))))
        (v128.store (i32.add (local.get $r0) (local.get $p)) (f32x4.sub (local.get $wv) (f32x4.mul (local.get $lrv) (local.get $g))))
        (local.set $wv (v128.load (i32.add (local.get $r1) (local.get $p))))
        (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (local.get $dv) (local.get $wv))))
        (local.set $g (f32x4.add (local.get $zero) (f32x4.mul (local.get $a1) (local.get $dv))))
        (v128.store (i32.add (local.get $r1) (local.get $p)) (f32x4.sub (local.get $wv) (f32x4.mul (local.get $lrv) (local.get $g))))
        (local.set $wv (v128.load (i32.add (local.get $r2) (local.get $p))))
        (local.set $s2 (f32x4.add (local.get $s2) (f32x4.mul (local.get $dv) (local.get $wv))))
        (local.set $g (f32x4.add (local.get $zero) (f32x4.mul (local.get $a2) (local.get $dv))))
        (v128.store (i32.add (local.get $r2) (local.get $p)) (f32x4.sub (local.get $wv) (f32x4.mul (local.get $lrv) (local.get $g))))
        (local.set $wv (v128.load (i32.add (local.get $r3) (local.get $p))))
        (local.set $s3 (f32x4.add (local.get $s3) (f32x4.mul (local.get $dv) (local.get $wv))))
        (local.set $g (f32x4.add (local.get $zero) (f32x4.mul (local.get $a3) (local.get $dv))))
        (v128.store (i32.add (local.get $r3) (local.get $p)) (f32x4.sub (local.get $wv) (f32x4.mul (local.get $lrv) (local.get $g))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (br $along)))
        (if (local.get $wantDx)
          (then
            ;; the transpose-add of `$rows`
            (local.set $h0 (f32x4.add
              (i8x16.shuffle 0 1 2 3 16 17 18 19 8 9 10 11 24 25 26 27 (local.get $s0) (local.get $s1))
              (i8x16.shuffle 4 5 6 7 20 21 22 23 12 13 14 15 28 29 30 31 (local.get $s0) (local.get $s1))))
            (local.set $h1 (f32x4.add
              (i8x16.shuffle 0 1 2 3 16 17 18 19 8 9 10 11 24 25 26 27 (local.get $s2) (local.get $s3))
              (i8x16.shuffle 4 5 6 7 20 21 22 23 12 13 14 15 28 29 30 31 (local.get $s2) (local.get $s3))))
            (v128.store (i32.add (local.get $dx) (i32.shl (local.get $j) (i32.const 2)))
              (f32x4.add
                (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $h0) (local.get $h1))
                (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $h0) (local.get $h1))))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $four)))
    )

  ;; C = op(A) op(B) (+ C when acc). Requires m, n, k >= 1.
  (func (export "gemm") (param $transA i32) (param $transB i32) (param $m i32) (param $n i32) (param $k i32)
                        (param $a i32) (param $b i32) (param $c i32) (param $ws i32) (param $acc i32)
    (local $pc i32) (local $kc i32) (local $kcmax i32) (local $ic i32) (local $mc i32)
    (local $i i32) (local $j i32) (local $ap i32) (local $bp i32) (local $tile i32)
    (local $load i32) (local $ldc i32) (local $apanel i32) (local $bpanel i32)
    (if (i32.lt_u (local.get $m) (i32.const 4))
      (then
        (call $rows (local.get $transA) (local.get $transB) (local.get $m) (local.get $n) (local.get $k)
                    (local.get $a) (local.get $b) (local.get $c) (local.get $ws) (local.get $acc))
        (return)))
    (local.set $kcmax (call $min (global.get $KC) (local.get $k)))
    (local.set $ap (i32.add (local.get $ws)
      (i32.mul (i32.mul (local.get $kcmax) (i32.shr_u (i32.add (local.get $n) (i32.const 7)) (i32.const 3))) (i32.const 32))))
    (local.set $tile (i32.add (local.get $ap)
      (i32.mul (i32.mul (local.get $kcmax)
        (i32.shr_u (i32.add (call $min (global.get $MC) (local.get $m)) (i32.const 3)) (i32.const 2))) (i32.const 16))))
    (local.set $ldc (i32.shl (local.get $n) (i32.const 2)))
    (local.set $pc (i32.const 0))
    (loop $kblocks
      (local.set $kc (call $min (global.get $KC) (i32.sub (local.get $k) (local.get $pc))))
      (local.set $load (i32.or (local.get $acc) (i32.ne (local.get $pc) (i32.const 0))))
      (local.set $apanel (i32.shl (local.get $kc) (i32.const 4)))
      (local.set $bpanel (i32.shl (local.get $kc) (i32.const 5)))
      (call $packB (local.get $transB) (local.get $n) (local.get $k) (local.get $b)
                   (local.get $pc) (local.get $kc) (local.get $ws))
      (local.set $ic (i32.const 0))
      (loop $mblocks
        (local.set $mc (call $min (global.get $MC) (i32.sub (local.get $m) (local.get $ic))))
        (call $packA (local.get $transA) (local.get $m) (local.get $k) (local.get $a)
                     (local.get $ic) (local.get $mc) (local.get $pc) (local.get $kc) (local.get $ap))
        (local.set $j (i32.const 0))
        (loop $jl
          (local.set $i (i32.const 0))
          (loop $il
            (call $micro (local.get $kc)
              (i32.add (local.get $ap) (i32.mul (i32.shr_u (local.get $i) (i32.const 2)) (local.get $apanel)))
              (i32.add (local.get $ws) (i32.mul (i32.shr_u (local.get $j) (i32.const 3)) (local.get $bpanel)))
              (i32.add (local.get $c) (i32.shl
                (i32.add (i32.mul (i32.add (local.get $ic) (local.get $i)) (local.get $n)) (local.get $j)) (i32.const 2)))
              (local.get $ldc)
              (call $min (i32.const 4) (i32.sub (local.get $mc) (local.get $i)))
              (call $min (i32.const 8) (i32.sub (local.get $n) (local.get $j)))
              (local.get $load) (local.get $tile))
            (br_if $il (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 4))) (local.get $mc))))
          (br_if $jl (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 8))) (local.get $n))))
        (br_if $mblocks (i32.lt_u (local.tee $ic (i32.add (local.get $ic) (global.get $MC))) (local.get $m))))
      (br_if $kblocks (i32.lt_u (local.tee $pc (i32.add (local.get $pc) (global.get $KC))) (local.get $k)))))
)
