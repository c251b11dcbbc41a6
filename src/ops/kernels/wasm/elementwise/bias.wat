;; Biases: broadcast add over rows and its gradient (column sums), each also
;; fused with the ReLU next to it.

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
