; method and constructor declarations (including those nested in inner/anonymous classes)
(method_declaration
  name: (identifier) @name
  parameters: (formal_parameters) @params) @method

(constructor_declaration
  name: (identifier) @name
  parameters: (formal_parameters) @params) @method

(compact_constructor_declaration
  name: (identifier) @name) @method
