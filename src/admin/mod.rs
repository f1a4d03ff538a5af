//! placeholder: see the module docs once it lands.
