;; The elementwise module's shared helpers, and the conventions of every
;; fragment in this folder (scripts/build-wasm.ts wraps them, in a fixed
;; order, in one module importing the heap's memory: elementwise-wasm-bytes.ts).
;; Pointers are byte offsets into the imported memory (heap.ts), counts are elements.
;; The host copies operands in, calls one function, and copies results out;
;; outputs may alias inputs (updates run in place on those private copies).
;; Every loop keeps the element order of the TypeScript kernels, so sums
;; round exactly as theirs do; conv_c1_back_w alone sums in its own order.

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
