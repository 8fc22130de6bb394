"""Inside the cell: step-through of every shipped recurrent model, interpretable units, gradients through time."""
