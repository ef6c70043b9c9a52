-- Hand ready tasks to a replica's waiting claims, oldest first. Arguments: (worker id,
-- max_tasks) per claim. Answers T.serve's per claim.
return T.run(function() return T.serve(1) end)
