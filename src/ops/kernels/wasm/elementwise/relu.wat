;; ReLU and its gradient, four lanes at a time.

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
