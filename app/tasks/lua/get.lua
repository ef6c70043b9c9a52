-- tasks.get, as it is now. Arguments: task id.
return T.run(function() return T.view(T.visible(arg(1))) end)
