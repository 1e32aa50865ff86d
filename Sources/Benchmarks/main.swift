import TensorCore
print("zoetrope-bench: benchmarks arrive with the tensor ops")
